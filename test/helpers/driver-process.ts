/**
 * Spawns test/helpers/driver-main.ts as a real child process (so a test can `kill -9` a driver) and
 * turns its stdout lines into awaitable counts.
 *
 * Where you are: test helpers.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { join, resolve } from "node:path";
import { onTestFinished } from "vitest";
import { Tally } from "./wait.js";

const main = resolve(join(import.meta.dirname, "driver-main.ts"));

export interface DriverProcess {
  child: ChildProcess;
  /** Tasks this driver wrote (its `task-end` events). */
  tasks: Tally;
  /** Resolves with the run id once the run started. */
  started: Promise<string>;
  /** Resolves with the summary when the driver finished (rejects if it dies first). */
  summary: Promise<Record<string, any>>;
  exited: Promise<number | string>;
  readonly stderr: string;
}

export function spawnDriver(options: Record<string, unknown>, env: NodeJS.ProcessEnv = {}): DriverProcess {
  const child = spawn(process.execPath, ["--import", "tsx", main, JSON.stringify(options)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, MATRIX_LOG_LEVEL: process.env.MATRIX_LOG_LEVEL ?? "error", ...env },
  });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  const tasks = new Tally();
  let stderr = "";
  let buffered = "";
  let onStart!: (runId: string) => void;
  let onSummary!: (summary: Record<string, any>) => void;
  const started = new Promise<string>((resolve) => (onStart = resolve));
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? "unknown")),
  );
  const summary = new Promise<Record<string, any>>((resolve, reject) => {
    onSummary = resolve;
    void exited.then((code) => reject(new Error(`driver exited (${code}) without a summary:\n${stderr}`)));
  });
  summary.catch(() => {});
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.startsWith("start ")) onStart(line.slice(6));
      else if (line.startsWith("task ")) tasks.add();
      else if (line.startsWith("summary ")) onSummary(JSON.parse(line.slice(8)));
    }
  });
  return {
    child,
    tasks,
    started,
    summary,
    exited,
    get stderr() {
      return stderr;
    },
  };
}
