/**
 * The notebook toolkit: live views (progress, latest rows, growing plots), tables, spot-checks,
 * plots, comparisons, pipeline diagrams and reports.
 *
 * Where you are: `notebook/`, the only tslab-aware folder, and a leaf. Notebooks import it next to
 * the SDK: `import { pipeline } from "./sdk/index"; import "./sdk/notebook/index";`. Importing it
 * installs method syntax (`run.watch()`, `pipeline.show()`; notebook-methods.ts) and the rich
 * display of tables, runs and pipelines (rich-display.ts). It loads in plain node too (tslab is
 * never loaded from here); outside a kernel, displays are dropped.
 */
import { installNotebookMethods } from "./notebook-methods.js";

installNotebookMethods();

export { installNotebookMethods } from "./notebook-methods.js";
export { progressHtml, progressText, progressBundle, etaMs } from "./progress-view.js";
export { watch, dashboard, LiveView, type WatchOptions, type LiveViewStats } from "./live-view.js";
export {
  livePlotSpec,
  livePlotValues,
  LivePlot,
  LIVE_PLOT_KINDS,
  MAX_POINTS,
  downsample,
  type LivePlotKind,
} from "./live-plots.js";
export { runBundle, runHtml, latestRows, type RunViewOptions } from "./run-view.js";
export { compare, comparison, comparisonPlots, type Comparison, type CompareOptions } from "./compare.js";
export {
  table,
  showTable,
  tableHtml,
  staticTableHtml,
  tableText,
  tableBundle,
  type TableHtmlOptions,
} from "./table-view.js";
export { interactiveTableHtml, INTERACTIVE_TABLE_SCRIPT, type InteractiveTableData } from "./interactive-table.js";
export { installRichDisplay } from "./rich-display.js";
export { tableLine, pipelineLine, tasksLine } from "./value-lines.js";
export {
  sample,
  pickSample,
  conversationHtml,
  conversationText,
  sampleBundle,
  type TaskFilter,
} from "./sample-view.js";
export { plot, plots, runPlotBundle } from "./plots.js";
export { plotSpec, PLOT_KINDS, type PlotKind } from "./plot-specs.js";
export { trace, traceSpec, traceBundle } from "./trace-view.js";
export { renderSvg, svgToPng, plotBundle, compileVegaLite, type VegaLiteSpec, type VegaView } from "./vega-render.js";
export { show, pipelineSvg, pipelineBundle, flowEdges, type FlowEdge } from "./pipeline-view.js";
export { report, reportHtml, type ReportOptions } from "./report.js";
export {
  publish,
  setDisplayTarget,
  canDisplay,
  LiveDisplay,
  markShown,
  withDisplay,
  JUPYTER_DISPLAY,
  type MimeBundle,
  type DisplayTarget,
} from "./mime-bundle.js";
