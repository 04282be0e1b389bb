/**
 * `table(run)`: the run's results as an arquero table, and `showTable(dt)`: any arquero table as
 * paged HTML.
 *
 * Where you are: `notebook/`. Paging uses `<details>` blocks (the first page open), which works in
 * every front end and in nbconvert exports without scripts or stylesheets.
 */
import type * as aq from "arquero";
import type { Run } from "../driver/run.js";
import { resultsTable, type ResultsTableOptions } from "../metrics/results-table.js";
import { CELL_STYLE, TABLE_STYLE, escapeHtml } from "./html.js";
import { publish, type MimeBundle } from "./mime-bundle.js";

export interface TableHtmlOptions {
  /** Rows per page. @default 20 */
  pageSize?: number;
  /** Pages rendered at most; the rest are counted. @default 10 */
  maxPages?: number;
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" && !Number.isInteger(value)) return value.toFixed(3);
  if (typeof value === "object") return escapeHtml(JSON.stringify(value));
  const text = String(value);
  return escapeHtml(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}

export function tableHtml(table: aq.ColumnTable, options: TableHtmlOptions = {}): string {
  const pageSize = options.pageSize ?? 20;
  const maxPages = options.maxPages ?? 10;
  const columns = table.columnNames();
  const rows = table.objects() as Record<string, unknown>[];
  const header = `<tr>${columns.map((name) => `<th style="${CELL_STYLE};background:#f4f4f4">${escapeHtml(name)}</th>`).join("")}</tr>`;
  const page = (from: number) =>
    `<table class="matrix-table" style="${TABLE_STYLE}">${header}${rows
      .slice(from, from + pageSize)
      .map(
        (row) =>
          `<tr>${columns.map((name) => `<td style="${CELL_STYLE}">${formatCell(row[name])}</td>`).join("")}</tr>`,
      )
      .join("")}</table>`;
  const pages: string[] = [page(0)];
  for (let from = pageSize, index = 1; from < rows.length && index < maxPages; from += pageSize, index++) {
    pages.push(
      `<details><summary>rows ${from + 1}–${Math.min(from + pageSize, rows.length)}</summary>${page(from)}</details>`,
    );
  }
  const shown = Math.min(rows.length, pageSize * maxPages);
  const more = rows.length > shown ? `<div>… ${rows.length - shown} more rows (slice the table to see them)</div>` : "";
  return `<div class="matrix-table-pages"><div style="font:12px system-ui,sans-serif;color:#555">${rows.length} rows × ${columns.length} columns</div>${pages.join("")}${more}</div>`;
}

/** The first rows as tab-separated text, for front ends without HTML. */
export function tableText(table: aq.ColumnTable, limit = 10): string {
  const columns = table.columnNames();
  const rows = (table.objects({ limit }) as Record<string, unknown>[]).map((row) =>
    columns.map((name) => String(row[name] ?? "")).join("\t"),
  );
  const more = table.numRows() > limit ? `\n… ${table.numRows() - limit} more rows` : "";
  return `${columns.join("\t")}\n${rows.join("\n")}${more}`;
}

export function tableBundle(table: aq.ColumnTable, options: TableHtmlOptions = {}): MimeBundle {
  return { "text/html": tableHtml(table, options), "text/plain": tableText(table) };
}

/** Shows an arquero table as paged HTML and returns it (so a cell can chain on it). */
export function showTable<T extends aq.ColumnTable>(table: T, options: TableHtmlOptions = {}): T {
  publish(tableBundle(table, options));
  return table;
}

/** The finished tasks of `run` as an arquero table (id, status, reason, turns, tokens, latencyMs, state fields). */
export function table(
  run: Run,
  options: ResultsTableOptions & TableHtmlOptions & { show?: boolean } = {},
): aq.ColumnTable {
  const result = resultsTable(run.results(), options);
  if (options.show ?? true) showTable(result, options);
  return result;
}
