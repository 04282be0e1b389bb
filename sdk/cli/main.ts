/**
 * The `matrix` command line: `run`, `sim`, `worker`, `status`, `cluster`, `deploy`, `export`.
 *
 * Where you are: `cli/`, a leaf: nothing imports it but bin/matrix.js. Each command lives in its own
 * file exporting `command(argv, io)`; this file only dispatches. Commands are loaded on demand so
 * `matrix run` never pays for NATS or Jupyter code.
 */
import { MatrixError } from "../errors.js";
import type { CliIo } from "./cli-io.js";
import { processIo } from "./cli-io.js";

const COMMANDS: Record<string, { file: string; summary: string }> = {
  run: { file: "./run-command.js", summary: "run a recipe or pipeline file" },
  sim: { file: "./sim-command.js", summary: "start the OpenAI-compatible inference simulator" },
  worker: { file: "./worker-command.js", summary: "serve pipeline roles from NATS" },
  status: { file: "./status-command.js", summary: "show workers, runs and queues on NATS" },
  cluster: { file: "./cluster-command.js", summary: "start or stop a local NATS cluster with workers" },
  deploy: { file: "./deploy-command.js", summary: "generate SLURM or Kubernetes deployments" },
  endpoint: { file: "./endpoint-command.js", summary: "register or list inference endpoints on NATS" },
  export: { file: "./export-command.js", summary: "extract a pipeline from a notebook into a script" },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, { summary }]) => `  matrix ${name.padEnd(8)} ${summary}`);
  return `Usage: matrix <command> [options]\n\n${lines.join("\n")}\n\nRun 'matrix <command> --help' for a command's options.\n`;
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.stdout(usage());
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS[name];
  if (!entry) {
    io.stderr(`matrix: unknown command '${name}'.\n\n${usage()}`);
    return 2;
  }
  try {
    const module = (await import(entry.file)) as { command: (argv: string[], io: CliIo) => Promise<number> };
    return await module.command(rest, io);
  } catch (error) {
    if (MatrixError.isInstance(error)) {
      io.stderr(`matrix ${name}: ${error.name}: ${error.message}\n`);
      return 1;
    }
    if (
      (error as NodeJS.ErrnoException)?.code === "ERR_MODULE_NOT_FOUND" &&
      String((error as Error).message).includes(entry.file.slice(2, -3))
    ) {
      io.stderr(`matrix ${name}: this command is not available in this build.\n`);
      return 1;
    }
    throw error;
  }
}
