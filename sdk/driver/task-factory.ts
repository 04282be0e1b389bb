/**
 * Builds the first message of a task from a source row: its id, trial and derived seed.
 *
 * Where you are: `driver/`. Ids must be stable across runs (resume depends on them): the row's id
 * field, or its position in the source; `#<trial>` is appended when there is more than one trial.
 */
import type { Task } from "../schema/task.js";
import type { Row } from "./source.js";

/** FNV-1a: a fast, stable 32-bit hash for deriving seeds. */
export function hash32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function rowIdOf(row: Row, index: number, idField: string): string {
  const value = row[idField];
  return value === undefined || value === null || value === "" ? String(index) : String(value);
}

export function taskId(rowId: string, trial: number, trials: number): string {
  return trials > 1 ? `${rowId}#${trial}` : rowId;
}

export function createTask(fields: {
  runId: string;
  rowId: string;
  row: Row;
  trial: number;
  trials: number;
  seed: number;
  cursor: string;
}): Task {
  return {
    id: taskId(fields.rowId, fields.trial, fields.trials),
    runId: fields.runId,
    rowId: fields.rowId,
    trial: fields.trial,
    seed: (hash32(`${fields.seed}:${fields.rowId}:${fields.trial}`) & 0x7fffffff) >>> 0,
    row: fields.row,
    history: [],
    state: {},
    cursor: fields.cursor,
    status: "running",
    attempt: 0,
    hops: 0,
    usage: {},
    timestamps: { created: Date.now() },
  };
}
