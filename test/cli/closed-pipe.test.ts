/**
 * `matrix ... | head`: the reader closing the pipe early ends the command quietly (exit 0), never with
 * an unhandled EPIPE stack trace.
 */
import { spawn } from "node:child_process";
import { expect, it } from "vitest";

it("a closed stdout pipe ends `matrix run --help` with exit 0 and no stack trace", async () => {
  const child = spawn(process.execPath, ["bin/matrix.js", "run", "--help"], { stdio: ["ignore", "pipe", "pipe"] });
  // Close our end before the child writes: its write then fails with EPIPE.
  child.stdout.destroy();
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once("exit", (exitCode) => resolve(exitCode)));
  expect(stderr).not.toContain("EPIPE");
  expect(stderr).not.toMatch(/\n\s+at /);
  expect(code).toBe(0);
});
