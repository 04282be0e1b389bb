/**
 * Run metrics: events folded into counters, latencies, time series, arquero tables and Prometheus
 * text.
 *
 * Where you are: `metrics/`, a leaf. Notebook displays and reports build on these; scripts can use
 * them directly (`RunMetrics.of(run)` right after `pipeline.run()` sees every event).
 */
export { RunMetrics, type HopSample, type TimelinePoint, type RunMetricsOptions } from "./run-metrics.js";
export { resultsTable, type ResultsTableOptions } from "./results-table.js";
export { timelineTable, queueDepthTable, hopsTable, roleLatencyTable } from "./metrics-tables.js";
export { prometheusRegistry, prometheusText } from "./prometheus-text.js";
export { summarize, quantile, type Summary } from "./summarize.js";
