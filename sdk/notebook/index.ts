/**
 * The notebook toolkit: live progress, tables, spot-checks, plots, pipeline diagrams and reports.
 *
 * Where you are: `notebook/`, the only tslab-aware folder, and a leaf. Notebooks import it next to
 * the SDK: `import { pipeline } from "./sdk/index"; import { watch, table } from "./sdk/notebook";`.
 * Importing it also installs method syntax (`run.watch()`, `pipeline.show()`; notebook-methods.ts).
 * It loads in plain node too (tslab is required lazily); outside a kernel, displays are dropped.
 */
import { installNotebookMethods } from "./notebook-methods.js";

installNotebookMethods();

export { installNotebookMethods } from "./notebook-methods.js";
export { watch, progressHtml, progressText, progressBundle, etaMs, type WatchOptions } from "./progress-view.js";
export { table, showTable, tableHtml, tableText, tableBundle, type TableHtmlOptions } from "./table-view.js";
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
export { renderSvg, svgToPng, plotBundle, type VegaLiteSpec } from "./vega-render.js";
export { show, pipelineSvg, pipelineBundle, flowEdges, type FlowEdge } from "./pipeline-view.js";
export { report, reportHtml, type ReportOptions } from "./report.js";
export {
  publish,
  setDisplayTarget,
  canDisplay,
  LiveDisplay,
  type MimeBundle,
  type DisplayTarget,
} from "./mime-bundle.js";
