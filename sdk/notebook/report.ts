/**
 * `report(run, path)`: one self-contained HTML file with the run's summary, plots and a sample of
 * conversations, viewable offline (vega and vega-lite are inlined from node_modules; no CDN).
 *
 * Where you are: `notebook/`. Each plot is rendered twice: as server-side SVG inside its figure (so
 * the file still shows plots with scripts disabled) and, when the vega builds are found, replaced by
 * a live vega view in the browser (tooltips, resizing). The page records script errors into
 * `#matrix-errors`, so a headless browser check can read them from the DOM.
 */
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Run } from "../driver/run.js";
import { roleLatencyTable } from "../metrics/metrics-tables.js";
import { RunMetrics } from "../metrics/run-metrics.js";
import { resultsTable } from "../metrics/results-table.js";
import type { RunSummary } from "../schema/event.js";
import { CELL_STYLE, TABLE_STYLE, escapeHtml, formatDuration, formatNumber } from "./html.js";
import { publish } from "./mime-bundle.js";
import { PLOT_KINDS, plotSpec } from "./plot-specs.js";
import { conversationHtml, pickSample } from "./sample-view.js";
import { tableHtml } from "./table-view.js";
import { renderSvg } from "./vega-render.js";

export interface ReportOptions {
  /** Conversations in the sample section. @default 5 */
  sample?: number;
  /** Inline vega/vega-lite for live plots; false keeps only the server-side SVG. @default true */
  interactive?: boolean;
}

/** Finds a built script of a package by walking up from the working directory and MATRIX_HOME. */
function findBuild(relativePath: string): string | undefined {
  const starts = [process.cwd(), process.env.MATRIX_HOME].filter((start): start is string => Boolean(start));
  for (const start of starts) {
    for (let dir = resolve(start); ; dir = dirname(dir)) {
      const candidate = join(dir, "node_modules", relativePath);
      if (existsSync(candidate)) return candidate;
      if (dirname(dir) === dir) break;
    }
  }
  return undefined;
}

function inlineScript(code: string): string {
  return `<script>${code.replace(/<\/script/gi, "<\\/script")}</script>`;
}

function jsonScript(id: string, value: unknown): string {
  return `<script type="application/json" id="${id}">${JSON.stringify(value).replace(/</g, "\\u003c")}</script>`;
}

function summaryHtml(run: Run, summary: RunSummary | undefined): string {
  const progress = run.progress();
  const rows: Array<[string, string]> = [
    ["pipeline", run.pipeline],
    ["run id", run.runId],
    ["done", String(progress.done)],
    ["failed", String(progress.failed)],
    ["filtered", String(progress.filtered)],
    ["skipped (resume)", String(progress.skipped)],
    ["bad rows", String(progress.badRows)],
    ["hops", String(progress.hops)],
    ["duration", formatDuration(progress.elapsedMs)],
    ["rows/s", formatNumber(progress.rowsPerSecond)],
    ["tokens/s", formatNumber(progress.tokensPerSecond, 0)],
    ["tokens", `${progress.promptTokens} prompt + ${progress.completionTokens} completion`],
  ];
  if (summary?.outDir) rows.push(["output", summary.outDir]);
  if (summary?.cancelled) rows.push(["cancelled", "yes"]);
  return `<table id="matrix-summary" style="${TABLE_STYLE}">${rows
    .map(
      ([key, value]) =>
        `<tr><th style="${CELL_STYLE}">${escapeHtml(key)}</th><td style="${CELL_STYLE}">${escapeHtml(value)}</td></tr>`,
    )
    .join("")}</table>`;
}

const LIVE_PLOTS = `
(function () {
  var specs = JSON.parse(document.getElementById("matrix-specs").textContent);
  Object.keys(specs).forEach(function (kind) {
    var figure = document.getElementById("plot-" + kind);
    var runtime = vega.parse(vegaLite.compile(specs[kind]).spec);
    var container = document.createElement("div");
    new vega.View(runtime, { renderer: "svg", container: container, hover: true })
      .runAsync()
      .then(function () {
        figure.replaceChildren(container);
        figure.setAttribute("data-rendered", "vega");
      })
      .catch(function (error) { window.__matrixError(String(error)); });
  });
})();
`;

const ERROR_COLLECTOR = `
window.__matrixError = function (message) {
  var box = document.getElementById("matrix-errors");
  box.textContent += message + "\\n";
  box.setAttribute("data-count", String(Number(box.getAttribute("data-count") || 0) + 1));
};
window.addEventListener("error", function (event) { window.__matrixError(event.message); });
window.addEventListener("unhandledrejection", function (event) { window.__matrixError(String(event.reason)); });
`;

/** The report's HTML text (see `report` for what it holds). */
export async function reportHtml(run: Run, options: ReportOptions = {}): Promise<string> {
  const summary = await run.done().catch(() => undefined);
  const metrics = RunMetrics.of(run);
  const specs = Object.fromEntries(PLOT_KINDS.map((kind) => [kind, plotSpec(metrics, kind)]));
  const figures: string[] = [];
  for (const kind of PLOT_KINDS) {
    const svg = await renderSvg(specs[kind]!);
    figures.push(
      `<figure id="plot-${kind}" class="matrix-plot" data-rendered="server" style="margin:8px 0">${svg}</figure>`,
    );
  }
  const vegaBuild = options.interactive === false ? undefined : findBuild("vega/build/vega.min.js");
  const vegaLiteBuild = options.interactive === false ? undefined : findBuild("vega-lite/build/vega-lite.min.js");
  const live =
    vegaBuild && vegaLiteBuild
      ? inlineScript(readFileSync(vegaBuild, "utf8")) +
        inlineScript(readFileSync(vegaLiteBuild, "utf8")) +
        jsonScript("matrix-specs", specs) +
        inlineScript(LIVE_PLOTS)
      : "";
  const tasks = pickSample(run.results(), options.sample ?? 5);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Matrix run ${escapeHtml(run.runId)}</title>
${inlineScript(ERROR_COLLECTOR)}
<style>body{font:14px/1.45 system-ui,sans-serif;margin:24px;max-width:1000px}h2{margin-top:28px}</style></head>
<body>
<h1>Run of <code>${escapeHtml(run.pipeline)}</code></h1>
<pre id="matrix-errors" data-count="0" style="color:#c0392b"></pre>
<h2>Summary</h2>
${summaryHtml(run, summary)}
<h2>Latency per role</h2>
${tableHtml(roleLatencyTable(metrics))}
<h2>Plots</h2>
${figures.join("\n")}
<h2>Results</h2>
${tableHtml(resultsTable(run.results()), { maxPages: 5 })}
<h2>Sample</h2>
${tasks.map(conversationHtml).join("\n") || "<p>No finished tasks.</p>"}
${live}
</body></html>
`;
}

/** Writes the report to `path` (after the run finishes) and returns the absolute path. */
export async function report(run: Run, path: string, options: ReportOptions = {}): Promise<string> {
  const html = await reportHtml(run, options);
  const target = resolve(path);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, html);
  publish({
    "text/html": `<div>Report written to <code>${escapeHtml(target)}</code> (${Math.round(html.length / 1024)} KB)</div>`,
    "text/plain": `Report written to ${target}`,
  });
  return target;
}
