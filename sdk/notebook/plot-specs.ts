/**
 * The standard run plots as vega-lite specs built from RunMetrics: throughput over time, latency per
 * role, queue depth per role, status breakdown and token-length distribution.
 *
 * Where you are: `notebook/`. Specs are plain JSON (data inlined), so the same spec is rendered in
 * Node, shown interactively, and embedded in reports.
 */
import type { RunMetrics } from "../metrics/run-metrics.js";
import type { VegaLiteSpec } from "./vega-render.js";

export const PLOT_KINDS = ["throughput", "latency", "queues", "status", "tokens"] as const;
export type PlotKind = (typeof PLOT_KINDS)[number];

const SIZE = { width: 420, height: 180 };

function throughput(metrics: RunMetrics): VegaLiteSpec {
  const values = metrics.timeline.flatMap((point) => [
    { t: point.t, series: "rows/s", value: point.rowsPerSecond },
    { t: point.t, series: "in flight", value: point.inFlight },
  ]);
  return {
    title: "Throughput over time",
    ...SIZE,
    data: { values },
    mark: { type: "line", point: values.length < 40 },
    encoding: {
      x: { field: "t", type: "quantitative", title: "seconds" },
      y: { field: "value", type: "quantitative", title: null },
      color: { field: "series", type: "nominal", title: null },
    },
  };
}

function latency(metrics: RunMetrics): VegaLiteSpec {
  const values = metrics.hops.map((hop) => ({ role: hop.role, ms: hop.handleMs, queueMs: hop.queueMs }));
  return {
    title: "Latency per role (handle time per hop)",
    ...SIZE,
    data: { values },
    mark: { type: "boxplot", extent: 1.5 },
    encoding: {
      y: { field: "role", type: "nominal", title: null },
      x: { field: "ms", type: "quantitative", title: "ms" },
      color: { field: "role", type: "nominal", legend: null },
    },
  };
}

function queues(metrics: RunMetrics): VegaLiteSpec {
  const values = metrics.timeline.flatMap((point) =>
    Object.entries(point.queueDepth).map(([role, depth]) => ({ t: point.t, role, depth })),
  );
  return {
    title: "Queue depth per role",
    ...SIZE,
    data: { values },
    mark: { type: "line", interpolate: "step-after" },
    encoding: {
      x: { field: "t", type: "quantitative", title: "seconds" },
      y: { field: "depth", type: "quantitative", title: "tasks waiting" },
      color: { field: "role", type: "nominal" },
    },
  };
}

function status(metrics: RunMetrics): VegaLiteSpec {
  const values = Object.entries(metrics.counts).map(([name, count]) => ({ status: name, count }));
  return {
    title: "Status breakdown",
    ...SIZE,
    height: 90,
    data: { values },
    mark: "bar",
    encoding: {
      y: { field: "status", type: "nominal", title: null, sort: ["done", "filtered", "failed"] },
      x: { field: "count", type: "quantitative", title: "tasks" },
      color: {
        field: "status",
        type: "nominal",
        legend: null,
        scale: { domain: ["done", "filtered", "failed"], range: ["#4c9a2a", "#b8860b", "#c0392b"] },
      },
    },
  };
}

function tokens(metrics: RunMetrics): VegaLiteSpec {
  return {
    title: "Completion tokens per task",
    ...SIZE,
    data: { values: metrics.taskTokens.map((value) => ({ tokens: value })) },
    mark: "bar",
    encoding: {
      x: { field: "tokens", type: "quantitative", bin: { maxbins: 30 }, title: "completion tokens" },
      y: { aggregate: "count", type: "quantitative", title: "tasks" },
    },
  };
}

const BUILDERS: Record<PlotKind, (metrics: RunMetrics) => VegaLiteSpec> = {
  throughput,
  latency,
  queues,
  status,
  tokens,
};

export function plotSpec(metrics: RunMetrics, kind: PlotKind): VegaLiteSpec {
  return BUILDERS[kind](metrics);
}
