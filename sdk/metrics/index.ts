/**
 * Run metrics: events folded into counters, latencies, time series and arquero tables (RunMetrics), and
 * the live Prometheus families every driver and worker can serve on `GET /metrics` (LiveMetrics).
 *
 * Where you are: `metrics/`, a leaf. Notebook displays and reports build on these; scripts can use
 * them directly (`RunMetrics.of(run)` right after `pipeline.run()` sees every event).
 */
export { RunMetrics, type HopSample, type TimelinePoint, type RunMetricsOptions } from "./run-metrics.js";
export { resultsTable, type ResultsTableOptions } from "./results-table.js";
export { timelineTable, queueDepthTable, hopsTable, roleLatencyTable } from "./metrics-tables.js";
export {
  LiveMetrics,
  processLiveMetrics,
  HOP_SECONDS,
  LONG_SECONDS,
  TASK_BYTES,
  type LiveMetricsOptions,
} from "./live-metrics.js";
export { serveMetrics, closeMetricsServers, type MetricsServer, type MetricsServerOptions } from "./metrics-server.js";
export { processRegistry } from "./process-metrics.js";
export { summarize, quantile, type Summary } from "./summarize.js";
export { traceRows, traceTable, type TraceRow } from "./trace-table.js";
