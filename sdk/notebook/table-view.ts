/**
 * `table(run)`: the run's results as an arquero table, and `showTable(dt)`: any arquero table as
 * HTML: interactive (sort, filter, pages; interactive-table.ts) where the front end runs scripts,
 * static and paged elsewhere.
 *
 * Where you are: `notebook/`. The static form pages with `<details>` blocks (the first page open),
 * which works in every front end and in nbconvert exports without scripts or stylesheets.
 */
import type * as aq from "arquero";
import type { Run } from "../driver/run.js";
import { resultsTable, type ResultsTableOptions } from "../metrics/results-table.js";
import { CELL_STYLE, TABLE_STYLE, escapeHtml } from "./html.js";
import { interactiveTableHtml } from "./interactive-table.js";
import { markShown, publish, type MimeBundle } from "./mime-bundle.js";
import { tableLine } from "./value-lines.js";

export interface TableHtmlOptions {
  /** Rows per page. @default 20 */
  pageSize?: number;
  /** Pages the static form renders at most; the rest are counted. @default 10 */
  maxPages?: number;
  /** Rows the interactive form carries (as JSON in the output); 0 keeps only the static form. @default 2000 */
  interactiveRows?: number;
}

function formatCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" && !Number.isInteger(value)) return value.toFixed(3);
  if (typeof value === "object") return escapeHtml(JSON.stringify(value));
  const text = String(value);
  return escapeHtml(text.length > 200 ? `${text.slice(0, 200)}…` : text);
}

/** The static form: paged with `<details>`, no script (nbconvert exports, reports, live frames). */
export function staticTableHtml(table: aq.ColumnTable, options: TableHtmlOptions & { caption?: boolean } = {}): string {
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
  const caption =
    options.caption === false
      ? ""
      : `<div style="font:12px system-ui,sans-serif;color:#555">${rows.length} rows × ${columns.length} columns</div>`;
  return `<div class="matrix-table-pages">${caption}${pages.join("")}${more}</div>`;
}

/** The static form, turned interactive (sort, filter, pages) by an inline script where scripts run. */
export function tableHtml(table: aq.ColumnTable, options: TableHtmlOptions = {}): string {
  const html = staticTableHtml(table, options);
  const limit = options.interactiveRows ?? 2000;
  if (limit <= 0) return html;
  const columns = table.columnNames();
  const rows = (table.objects({ limit }) as Record<string, unknown>[]).map((row) =>
    columns.map((name) => row[name] ?? null),
  );
  return interactiveTableHtml(html, { columns, rows, total: table.numRows(), pageSize: options.pageSize ?? 20 });
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

/** HTML (interactive, static fallback) and a one-line plain-text form. */
export function tableBundle(table: aq.ColumnTable, options: TableHtmlOptions = {}): MimeBundle {
  return { "text/html": tableHtml(table, options), "text/plain": tableLine(table) };
}

/** Shows an arquero table and returns it (so a cell can chain on it; as the cell's value it is not shown twice). */
export function showTable<T extends aq.ColumnTable>(table: T, options: TableHtmlOptions = {}): T {
  publish(tableBundle(table, options));
  return markShown(table);
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
