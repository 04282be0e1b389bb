/**
 * The progress panel: done / failed / filtered / in flight, rows/s, tokens/s, ETA and per-role
 * queue depth.
 *
 * Where you are: `notebook/`. The panel is what `watch(run)` keeps redrawing (live-view.ts) and what
 * a run shows as a cell's value (run-view.ts).
 */
import type { RunProgress } from "../driver/run.js";
import { CELL_STYLE, TABLE_STYLE, escapeHtml, formatDuration, formatNumber } from "./html.js";
import type { MimeBundle } from "./mime-bundle.js";

/** Remaining time from the finishing rate; undefined while it cannot be estimated. */
export function etaMs(progress: RunProgress): number | undefined {
  if (progress.finished) return 0;
  if (progress.total === undefined || progress.rowsPerSecond <= 0) return undefined;
  const finished = progress.done + progress.failed + progress.filtered + progress.skipped;
  return (Math.max(progress.total - finished, 0) / progress.rowsPerSecond) * 1000;
}

export function progressText(progress: RunProgress): string {
  const eta = etaMs(progress);
  const total = progress.total === undefined ? "" : `/${progress.total}`;
  const queues = Object.entries(progress.queueDepth)
    .map(([role, depth]) => `${role}=${depth}`)
    .join(" ");
  return (
    `${progress.pipeline} ${progress.finished ? "finished" : "running"}: ` +
    `done ${progress.done}${total} · failed ${progress.failed} · filtered ${progress.filtered} · in flight ${progress.inFlight} · ` +
    `${formatNumber(progress.rowsPerSecond)} rows/s · ${formatNumber(progress.tokensPerSecond, 0)} tokens/s · ` +
    `ETA ${eta === undefined ? "–" : formatDuration(eta)} · elapsed ${formatDuration(progress.elapsedMs)}` +
    (queues ? ` · queues ${queues}` : "")
  );
}

export function progressHtml(progress: RunProgress): string {
  const finished = progress.done + progress.failed + progress.filtered;
  const fraction = progress.total ? Math.min(finished / progress.total, 1) : progress.finished ? 1 : 0;
  const eta = etaMs(progress);
  const cells: Array<[string, string]> = [
    ["done", `${progress.done}${progress.total === undefined ? "" : ` / ${progress.total}`}`],
    ["failed", String(progress.failed)],
    ["filtered", String(progress.filtered)],
    ["in flight", String(progress.inFlight)],
    ["rows/s", formatNumber(progress.rowsPerSecond)],
    ["tokens/s", formatNumber(progress.tokensPerSecond, 0)],
    ["ETA", eta === undefined ? "–" : formatDuration(eta)],
    ["elapsed", formatDuration(progress.elapsedMs)],
  ];
  const queues = Object.entries(progress.queueDepth);
  const max = Math.max(1, ...queues.map(([, depth]) => depth));
  const queueRows = queues
    .map(
      ([role, depth]) =>
        `<tr><td style="${CELL_STYLE}">${escapeHtml(role)}</td><td style="${CELL_STYLE}">${depth}</td>` +
        `<td style="${CELL_STYLE};width:160px"><div style="background:#6a9fd4;height:8px;width:${Math.round((depth / max) * 150)}px"></div></td></tr>`,
    )
    .join("");
  const state = progress.finished ? "finished" : "running";
  return (
    // The counts as attributes too, so an executed notebook can be checked against the run.
    `<div class="matrix-progress" data-state="${state}" data-done="${progress.done}" data-failed="${progress.failed}" data-filtered="${progress.filtered}" style="font:12px system-ui,sans-serif">` +
    `<div><b>${escapeHtml(progress.pipeline)}</b> · ${state} · <code>${escapeHtml(progress.runId)}</code></div>` +
    `<div style="background:#eee;width:320px;height:10px;margin:4px 0"><div style="background:${progress.failed > 0 ? "#d4884a" : "#4c9a2a"};height:10px;width:${Math.round(fraction * 320)}px"></div></div>` +
    `<table style="${TABLE_STYLE}"><tr>${cells.map(([label]) => `<th style="${CELL_STYLE}">${label}</th>`).join("")}</tr>` +
    `<tr>${cells.map(([, value]) => `<td style="${CELL_STYLE}">${value}</td>`).join("")}</tr></table>` +
    (queueRows
      ? `<table style="${TABLE_STYLE};margin-top:4px"><tr><th style="${CELL_STYLE}">role</th><th style="${CELL_STYLE}">queued</th><th style="${CELL_STYLE}"></th></tr>${queueRows}</table>`
      : "") +
    `</div>`
  );
}

export function progressBundle(progress: RunProgress): MimeBundle {
  return { "text/html": progressHtml(progress), "text/plain": progressText(progress) };
}
