/**
 * Dead letters: the failed tasks (and unreadable source rows) of a run, read back from an output
 * directory's `dead-letters.jsonl`, summarised for a listing, and prepared for a retry: patched
 * (a JSON merge patch or a function) and reset to run again from the role that failed, keeping
 * their id so the output stays exactly-once.
 *
 * Where you are: `sink/`. The sink writes the file (jsonl-sink.ts); `pipeline/retry.ts` and the live
 * run (`run.retry`) re-queue what this file prepares; `matrix dlq` lists, shows and retries. A
 * dead letter whose id is now in output.jsonl or filtered.jsonl is resolved and left out of listings
 * unless asked for. A bad source row has no task to re-queue: fix the source file and `--resume`.
 */
import { existsSync } from "node:fs";
import { ConfigError, type SerializedError } from "../errors.js";
import { SINK, TaskSchema, type Task } from "../schema/task.js";
import { readJsonlRecords, sinkFiles, type BadRowRecord } from "./jsonl-sink.js";

/** One line of a listing. */
export interface DeadLetterSummary {
  /** The task id, or `row:<file>:<line>` for a source row that could not be read. */
  id: string;
  kind: "task" | "bad-row";
  /** The role that failed, when known. */
  role?: string;
  error: SerializedError;
  reason?: string;
  /** Times it was re-queued already. */
  retries: number;
  /** Turns it holds (how far it got). */
  turns: number;
  /** Whether a later attempt finished it (listed only with `all`). */
  resolved: boolean;
  time: number;
}

export interface DeadLetter extends DeadLetterSummary {
  task?: Task;
  /** A bad row's text. */
  raw?: string;
}

function ids(file: string): Set<string> {
  return new Set(
    readJsonlRecords(file)
      .map((record) => record.id)
      .filter((id): id is string => typeof id === "string"),
  );
}

/** The summary line of a failed task. */
export function summarizeDeadLetter(task: Task, resolved = false): DeadLetterSummary {
  return {
    id: task.id,
    kind: "task",
    ...(task.error?.role !== undefined ? { role: task.error.role } : {}),
    error: task.error ?? { name: "Error", message: task.reason ?? "failed" },
    ...(task.reason !== undefined ? { reason: task.reason } : {}),
    retries: task.retries ?? 0,
    turns: task.history.length,
    resolved,
    time: task.timestamps.finished ?? task.timestamps.created,
  };
}

/**
 * The dead letters of an output directory, oldest first; a task failed several times (retried) is
 * listed once, as its latest failure. `all` includes the resolved ones.
 */
export function readDeadLetters(outDir: string, options: { all?: boolean } = {}): DeadLetter[] {
  const files = sinkFiles(outDir);
  if (!existsSync(files.deadLetters))
    throw new ConfigError("out", `${outDir} has no dead-letters.jsonl: is it the output directory of a run?`);
  const finished = new Set([...ids(files.output), ...ids(files.filtered)]);
  const byId = new Map<string, DeadLetter>();
  for (const record of readJsonlRecords(files.deadLetters)) {
    if (record.kind === "bad-row") {
      const bad = record as unknown as BadRowRecord;
      const details = bad.error.details ?? {};
      const id =
        details.file !== undefined ? `row:${details.file}:${details.line}` : `row:${details.rowId ?? byId.size}`;
      byId.set(id, {
        id,
        kind: "bad-row",
        error: bad.error,
        retries: 0,
        turns: 0,
        resolved: false,
        time: bad.time,
        ...(bad.raw !== undefined ? { raw: bad.raw } : {}),
      });
      continue;
    }
    const parsed = TaskSchema.safeParse(record);
    if (!parsed.success) continue;
    const task = parsed.data;
    byId.delete(task.id); // the latest failure goes last
    byId.set(task.id, { ...summarizeDeadLetter(task, finished.has(task.id)), task });
  }
  return [...byId.values()].filter((letter) => options.all || !letter.resolved);
}

/** One dead letter by id, or a ConfigError naming what exists. */
export function findDeadLetter(letters: readonly DeadLetter[], id: string): DeadLetter {
  const found = letters.find((letter) => letter.id === id);
  if (found) return found;
  const known = letters
    .slice(0, 5)
    .map((letter) => letter.id)
    .join(", ");
  throw new ConfigError("id", `no dead letter '${id}'${known ? ` (some there are: ${known})` : " (there are none)"}`);
}

/**
 * RFC 7386 JSON merge patch: objects merge key by key, `null` deletes a key, anything else replaces.
 * (Eleven lines; the npm packages for it add nothing we need.)
 */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const base =
    typeof target === "object" && target !== null && !Array.isArray(target)
      ? { ...(target as Record<string, unknown>) }
      : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete base[key];
    else base[key] = mergePatch(base[key], value);
  }
  return base;
}

/** A change to a dead letter before it is re-queued: a merge patch of the task, or a function of it. */
export type TaskPatch = Record<string, unknown> | ((task: Task) => Task | void);

export interface RetryOptions {
  /** Applied to each task before it is re-queued (e.g. `{ row: { question: "fixed" } }`). */
  patch?: TaskPatch;
  /**
   * `failed-role` (default): continue from the role that failed, with the history it had; `start`:
   * run the task again from the pipeline's entry role with an empty history.
   */
  from?: "failed-role" | "start";
}

/**
 * A copy of `task` ready to run again: patched, status running, its error cleared, its cursor on the
 * role that failed (or the entry), `retries` one higher. The id does not change.
 */
export function prepareRetry(
  task: Task,
  pipeline: { entry: string; roles: ReadonlySet<string> },
  options: RetryOptions = {},
): Task {
  let copy = structuredClone(task) as Task;
  if (typeof options.patch === "function") copy = options.patch(copy) ?? copy;
  else if (options.patch !== undefined) copy = mergePatch(copy, options.patch) as Task;
  const checked = TaskSchema.safeParse(copy);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new ConfigError(
      "patch",
      `the patched task ${task.id} is invalid at ${issue.path.join(".")}: ${issue.message}`,
    );
  }
  copy = checked.data;
  if (copy.id !== task.id) throw new ConfigError("patch", `a patch may not change the task id (${task.id})`);
  const failedRole = task.error?.role;
  const restart = options.from === "start" || failedRole === undefined || !pipeline.roles.has(failedRole);
  copy.status = "running";
  delete copy.error;
  delete copy.reason;
  delete copy.timestamps.finished;
  copy.attempt = 0;
  copy.retries = (task.retries ?? 0) + 1;
  if (restart) {
    copy.history = [];
    copy.state = {};
    copy.usage = {};
    copy.hops = 0;
    delete copy.trace;
    copy.cursor = pipeline.entry;
  } else {
    copy.cursor = failedRole;
  }
  if (copy.cursor === SINK) copy.cursor = pipeline.entry;
  return copy;
}
