/**
 * `matrix sim`: the built-in OpenAI-compatible simulator in the foreground; prints its base URL when
 * ready and stops on SIGINT/SIGTERM.
 *
 * Where you are: `cli/`, loaded only when `matrix sim` runs. Its flags are declared in program.ts from
 * the simulator's own knob table (llm/simulator/profiles.ts), so they cannot drift from it.
 */
import { FAULT_KINDS } from "../llm/simulator/faults.js";
import { serveSimulator, type StartSimulatorOptions } from "../llm/simulator/index.js";
import type { CliIo } from "./cli-io.js";

const camel = (name: string) => name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());

export async function command(flags: Record<string, unknown>, io: CliIo): Promise<number> {
  const faults: Record<string, number> = {};
  const options: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    const fault = FAULT_KINDS.find((kind) => camel(`fault-${kind}`) === key);
    if (fault) faults[camel(fault)] = value as number;
    else options[key] = value;
  }
  await serveSimulator({ ...options, faults } as StartSimulatorOptions, {
    stdout: { write: (text: string) => io.stdout(text) },
  });
  return 0;
}
