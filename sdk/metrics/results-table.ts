/**
 * The results of a run as an arquero table: one row per finished task with id, status, turns,
 * tokens, latency and the task's scalar state fields (judge scores, agreed answers, ...).
 *
 * Where you are: `metrics/`. Notebook code renders this table; scripts may filter or export it
 * (`toCSV`, `toArrow`) like any arquero table.
 */
import * as aq from "arquero";
import type { Task } from "../schema/task.js";

export interface ResultsTableOptions {
  /** State fields to add as columns. @default every scalar state field, up to `maxStateFields` */
  stateFields?: string[];
  /** @default 8 */
  maxStateFields?: number;
}

type Scalar = string | number | boolean | null;

function isScalar(value: unknown): value is Scalar {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

/** Scalar state fields in first-seen order; nested objects (e.g. a judge's reply) are flattened one level. */
function stateColumns(task: Task): Record<string, Scalar> {
  const columns: Record<string, Scalar> = {};
  for (const [key, value] of Object.entries(task.state)) {
    if (isScalar(value)) columns[key] = value;
    else if (typeof value === "object" && !Array.isArray(value)) {
      for (const [inner, innerValue] of Object.entries(value as Record<string, unknown>)) {
        if (isScalar(innerValue)) columns[`${key}.${inner}`] = innerValue;
      }
    }
  }
  return columns;
}

export function resultsTable(tasks: readonly Task[], options: ResultsTableOptions = {}): aq.ColumnTable {
  const states = tasks.map(stateColumns);
  const fields =
    options.stateFields ??
    [...new Set(states.flatMap((state) => Object.keys(state)))].slice(0, options.maxStateFields ?? 8);
  const rows = tasks.map((task, index) => {
    const tokens = Object.values(task.usage).reduce(
      (sum, usage) => sum + usage.promptTokens + usage.completionTokens,
      0,
    );
    const row: Record<string, unknown> = {
      id: task.id,
      status: task.status,
      reason: task.reason ?? "",
      turns: task.history.length,
      tokens,
      latencyMs: (task.timestamps.finished ?? task.timestamps.created) - task.timestamps.created,
    };
    for (const field of fields) row[field] = states[index]![field] ?? null;
    return row;
  });
  if (rows.length === 0) {
    return aq.table({ id: [], status: [], reason: [], turns: [], tokens: [], latencyMs: [] });
  }
  return aq.from(rows);
}
