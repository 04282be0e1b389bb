/**
 * The one-line plain-text forms of notebook values (what `util.inspect` and `text/plain` show):
 * an arquero table, a pipeline, a list of tasks.
 *
 * Where you are: `notebook/`, a leaf of it (rich-display.ts and the views use these lines).
 */
import type * as aq from "arquero";
import { effectiveFlow } from "../pipeline/definition.js";
import type { Pipeline } from "../pipeline/pipeline.js";
import type { Task } from "../schema/task.js";

function list(names: readonly string[], max = 6): string {
  return names.length > max ? `${names.slice(0, max).join(", ")}, … (${names.length})` : names.join(", ");
}

export function tableLine(table: aq.ColumnTable): string {
  const groups = table.groups() as { names?: string[] } | null;
  const grouped = groups?.names?.length ? ` grouped by ${groups.names.join(", ")}` : "";
  return `ColumnTable ${table.numRows()} rows × ${table.numCols()} columns${grouped}: ${list(table.columnNames())}`;
}

export function pipelineLine(pipeline: Pipeline): string {
  const roles = Object.entries(pipeline.definition.roles).map(([name, role]) => `${name} (${role.kind})`);
  return `Pipeline ${pipeline.name}: ${list(roles)} · ${effectiveFlow(pipeline.toJSON()).kind} flow`;
}

export function tasksLine(tasks: readonly Task[]): string {
  const counts = new Map<string, number>();
  for (const task of tasks) counts.set(task.status, (counts.get(task.status) ?? 0) + 1);
  const statuses = [...counts].map(([status, count]) => `${status} ${count}`).join(", ");
  return `[${tasks.length} tasks${statuses ? `: ${statuses}` : ""}]`;
}
