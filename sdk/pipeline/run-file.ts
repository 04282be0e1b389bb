/**
 * `run.json` in an output directory: which NATS run the directory belongs to, so `resume` there can
 * adopt that run if it still exists (its driver died, or it was detached).
 *
 * Where you are: `pipeline/`. Kept apart from cluster-run.ts, which loads the NATS client: deciding
 * the run id of a local run must not load it.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface RunFile {
  runId: string;
  pipeline: string;
  created: number;
}

const runFile = (out: string) => join(out, "run.json");

/** The run an output directory belongs to (written when a NATS run starts there). */
export function readRunFile(out: string): RunFile | undefined {
  try {
    const value = JSON.parse(readFileSync(runFile(out), "utf8")) as RunFile;
    return typeof value.runId === "string" ? value : undefined;
  } catch {
    return undefined;
  }
}

export function writeRunFile(out: string, file: RunFile): void {
  mkdirSync(out, { recursive: true });
  writeFileSync(runFile(out), `${JSON.stringify(file, null, 2)}\n`);
}

/** The run a NATS `resume` in `out` should try to adopt: the one its `run.json` names. */
export function adoptableRunId(out: string | undefined, resume: boolean): string | undefined {
  return resume && out && existsSync(runFile(out)) ? readRunFile(out)?.runId : undefined;
}
