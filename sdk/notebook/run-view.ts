/**
 * A run at a glance: its progress panel and a table of the latest finished rows (status, turns,
 * tokens and the key state fields). What a run shows as a cell's value, and each live frame's core.
 *
 * Where you are: `notebook/`. Synchronous and cheap (the table holds the last rows only), so the
 * live view redraws it at every frame.
 */
import type * as aq from "arquero";
import type { Run } from "../driver/run.js";
import { resultsTable } from "../metrics/results-table.js";
import type { MimeBundle } from "./mime-bundle.js";
import { progressHtml, progressText } from "./progress-view.js";
import { staticTableHtml } from "./table-view.js";

export interface RunViewOptions {
  /** Latest finished rows shown under the panel; 0 shows none. @default 10 */
  rows?: number;
  /** State fields shown as columns. @default the first scalar ones, up to 5 */
  stateFields?: string[];
}

/** The last `n` finished tasks of `run`, newest first, as a results table (SDK `_` state left out). */
export function latestRows(run: Run, n: number, stateFields?: string[]): aq.ColumnTable {
  const tasks = run.results();
  const latest = tasks.slice(Math.max(0, tasks.length - n)).reverse();
  const table = resultsTable(latest, stateFields ? { stateFields } : { maxStateFields: 16 });
  const standard = ["id", "status", "turns", "tokens"];
  const state = table
    .columnNames()
    .filter((name) => !standard.includes(name) && !["reason", "latencyMs"].includes(name))
    .filter((name) => stateFields !== undefined || !name.startsWith("_"))
    .slice(0, stateFields ? undefined : 5);
  // reason and latencyMs are mostly empty or noise while a run works; run.table() has them.
  return table.select([...standard, ...state]);
}

export function runHtml(run: Run, options: RunViewOptions = {}): string {
  const rows = options.rows ?? 10;
  const table =
    rows > 0 && run.results().length > 0
      ? `<div style="margin-top:6px;font:12px system-ui,sans-serif;color:#555">latest finished rows</div>` +
        staticTableHtml(latestRows(run, rows, options.stateFields), { pageSize: rows, maxPages: 1, caption: false })
      : "";
  return progressHtml(run.progress()) + table;
}

export function runBundle(run: Run, options: RunViewOptions = {}): MimeBundle {
  return { "text/html": runHtml(run, options), "text/plain": progressText(run.progress()) };
}
