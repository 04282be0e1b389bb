/**
 * `matrix ...` in the test's own process: `main` with its output captured, for CLI tests that check
 * what a command prints and returns without paying for a process start per command.
 *
 * Where you are: test helpers. Tests that need a real process (signals, exit codes of the binary) spawn
 * bin/matrix.js instead.
 */
import type { CliIo } from "../../sdk/cli/cli-io.js";
import { main } from "../../sdk/cli/main.js";

/** A CliIo that keeps what a command writes. */
export function capturedIo(env: NodeJS.ProcessEnv = process.env): CliIo & { out: string; err: string } {
  const io = {
    out: "",
    err: "",
    stdout: (text: string) => void (io.out += text),
    stderr: (text: string) => void (io.err += text),
    interactive: false,
    env,
  };
  return io;
}

/** Runs `matrix <args>` here; the exit code and what it wrote. */
export async function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number; out: string; err: string }> {
  const io = capturedIo(env);
  const code = await main(args, io);
  return { code, out: io.out, err: io.err };
}
