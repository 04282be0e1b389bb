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

/** Resolves on the worker's "ready" line; rejects if it exits first. */
export function waitForReady(worker: WorkerProcess): Promise<void> {
  return waitForLine(worker, / ready /, "it was ready");
}

/** Resolves once a line of the worker's log matches `pattern`; rejects if it exits first. */
export function waitForLine(
  worker: WorkerProcess,
  pattern: RegExp,
  what = `a line matching ${pattern}`,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const { child } = worker;
    const check = () => {
      if (!worker.log.split("\n").some((line) => pattern.test(line))) return;
      done();
      resolve();
    };
    const onExit = () => {
      done();
      reject(new Error(`worker exited before ${what}:\n${worker.log}`));
    };
    const done = () => {
      child.stderr!.off("data", check);
      child.off("exit", onExit);
    };
    // Listeners run after the helper's own log collector, which was attached first.
    child.stderr!.on("data", check);
    child.once("exit", onExit);
    if (child.exitCode !== null || child.signalCode !== null) onExit();
    else check();
  });
}
