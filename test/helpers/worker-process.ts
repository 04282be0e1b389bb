/**
 * Spawns `node bin/matrix.js worker ...` as a real child process and waits for its "ready" line.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join, resolve } from "node:path";

const bin = resolve(join(import.meta.dirname, "..", "..", "bin", "matrix.js"));

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything the worker wrote to stderr so far. */
  readonly log: string;
  /** Resolves with the exit code (or signal name). */
  exited: Promise<number | string>;
}

/** `cwd`: where the worker runs (another directory proves it needs nothing from the driver's disk). */
export function spawnWorker(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): WorkerProcess {
  const child = spawn(process.execPath, [bin, "worker", ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    ...(cwd ? { cwd } : {}),
    env: { ...process.env, MATRIX_LOG_LEVEL: process.env.MATRIX_LOG_LEVEL ?? "error", ...env },
  });
  let log = "";
  child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  child.stdout!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  return {
    child,
    get log() {
      return log;
    },
    exited,
  };
}

export async function waitForReady(worker: WorkerProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!worker.log.includes(" ready ")) {
    if (worker.child.exitCode !== null) throw new Error(`worker exited early:\n${worker.log}`);
    if (Date.now() > deadline) throw new Error(`worker not ready after ${timeoutMs} ms:\n${worker.log}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
