/**
 * `matrix sim`: the built-in OpenAI-compatible simulator in the foreground; prints its base URL when
 * ready and stops on SIGINT/SIGTERM. The flags are parsed by the simulator itself.
 *
 * Where you are: `cli/`.
 */
import { runSimulatorCli, SIMULATOR_CLI_USAGE } from "../llm/simulator/index.js";
import type { CliIo } from "./cli-io.js";

export async function command(argv: string[], io: CliIo): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    io.stdout(`${SIMULATOR_CLI_USAGE}\n`);
    return 0;
  }
  await runSimulatorCli(argv, { stdout: { write: (text: string) => io.stdout(text) } });
  return 0;
}
