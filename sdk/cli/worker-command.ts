/**
 * `matrix worker --nats URL [--roles a,b] [--concurrency N] [--llm URL] [--model M]`: a generic worker
 * serving the roles of every active run on NATS until SIGTERM (which drains: stop pulling, finish the
 * hops in hand, exit 0).
 *
 * Where you are: `cli/`. The worker itself lives in sdk/worker/worker.ts; this file parses flags,
 * wires signals and prints one "ready" line (launchers and tests wait for it).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "../errors.js";
import type { CliIo } from "./cli-io.js";
import { NATS_FLAG_HELP, NATS_FLAG_OPTIONS, natsFlags } from "./nats-flags.js";

const HELP = `Usage: matrix worker [options]

Serves the roles of every run registered on NATS (including runs started later).

  --roles a,b         serve only these roles (default: every role)
  --concurrency N     tasks per role handled at once by this worker (default 64)
  --llm URL           OpenAI-compatible base URL for chat roles (default OPENAI_BASE_URL, else a local simulator)
  --model NAME        default model for chat roles
  --id NAME           worker id in heartbeats (default MATRIX_WORKER_ID, else host-pid)
  --offload-threshold BYTES   for tasks of runs that do not say (runs carry their driver's threshold)
${NATS_FLAG_HELP}`;

/** The version reported in heartbeats: the package's, when the repository is at MATRIX_HOME. */
function packageVersion(home: string | undefined): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(home ?? process.cwd(), "package.json"), "utf8")) as { version?: string })
      .version;
  } catch {
    return undefined;
  }
}

export async function command(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...NATS_FLAG_OPTIONS,
      roles: { type: "string" },
      concurrency: { type: "string" },
      llm: { type: "string" },
      model: { type: "string" },
      id: { type: "string" },
      "offload-threshold": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    io.stdout(HELP);
    return 0;
  }
  const concurrency = values.concurrency === undefined ? undefined : Number(values.concurrency);
  if (concurrency !== undefined && (!Number.isInteger(concurrency) || concurrency < 1))
    throw new ConfigError("--concurrency", `expected a positive whole number, got '${values.concurrency}'`);
  const threshold = values["offload-threshold"] === undefined ? undefined : Number(values["offload-threshold"]);
  if (threshold !== undefined && !(threshold >= 0))
    throw new ConfigError("--offload-threshold", `expected a number of bytes, got '${values["offload-threshold"]}'`);
  const { createNatsBus, natsConnectionOptions } = await import("../bus/nats/index.js");
  const { startWorker } = await import("../worker/worker.js");
  const bus = await createNatsBus({
    ...natsConnectionOptions(natsFlags(values, `matrix-worker ${values.id ?? process.pid}`), io.env),
    ...(threshold !== undefined ? { offloadThreshold: threshold } : {}),
  });
  const worker = await startWorker({
    bus,
    roles: values.roles
      ?.split(",")
      .map((role) => role.trim())
      .filter(Boolean),
    concurrency,
    llm: values.llm,
    model: values.model,
    id: values.id ?? io.env.MATRIX_WORKER_ID,
    version: packageVersion(io.env.MATRIX_HOME),
  });
  const drain = () => void worker.drain();
  process.once("SIGTERM", drain);
  process.once("SIGINT", drain);
  io.stderr(`matrix worker ${worker.id} ready (pid ${process.pid})\n`);
  await worker.done;
  io.stderr(`matrix worker ${worker.id} drained\n`);
  return 0;
}
