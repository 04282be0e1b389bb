/**
 * Plots that grow while a run works: finished rows and rows/s, queue depth per role, hop latency
 * per role (p50/p95 over time) and completion tokens per task, re-rendered cheaply.
 *
 * Where you are: `notebook/`, used by the live view (live-view.ts). Building a vega view from a
 * vega-lite spec costs ~5x more than re-running one, so specs are compiled once per kernel (data
 * comes from a named data set) and a frame only swaps the values and asks for the SVG. The
 * values are downsampled first (at most MAX_POINTS per series), so a frame costs the same after an
 * hour as after a minute. `livePlotValues` is pure: the values drawn can be checked against the run.
 */
import type { RunProgress } from "../driver/run.js";
import type { RunMetrics, TimelinePoint } from "../metrics/run-metrics.js";
import { ConfigError } from "../errors.js";
import { compileVegaLite, type VegaLiteSpec, type VegaView } from "./vega-render.js";

export const LIVE_PLOT_KINDS = ["throughput", "queues", "latency", "tokens"] as const;
export type LivePlotKind = (typeof LIVE_PLOT_KINDS)[number];

/** Points per series a frame draws at most. */
export const MAX_POINTS = 150;
const DATA = "values";
const SIZE = { width: 360, height: 150 };

const SPECS: Record<LivePlotKind, VegaLiteSpec> = {
  throughput: {
    title: "Finished rows and rows/s",
    ...SIZE,
    data: { name: DATA },
    encoding: { x: { field: "t", type: "quantitative", title: "seconds" } },
    layer: [
      {
        mark: { type: "area", opacity: 0.25, color: "#4c9a2a", interpolate: "step-after" },
        encoding: {
          y: { field: "finished", type: "quantitative", title: "finished rows", axis: { format: "d", tickMinStep: 1 } },
        },
      },
      {
        mark: { type: "line", color: "#3b6fb6" },
        encoding: { y: { field: "rowsPerSecond", type: "quantitative", title: "rows/s" } },
      },
    ],
    resolve: { scale: { y: "independent" } },
  },
  queues: {
    title: "Queue depth per role",
    ...SIZE,
    data: { name: DATA },
    mark: { type: "line", interpolate: "step-after" },
    encoding: {
      x: { field: "t", type: "quantitative", title: "seconds" },
      y: { field: "depth", type: "quantitative", title: "tasks waiting", axis: { format: "d", tickMinStep: 1 } },
      color: { field: "role", type: "nominal", title: null },
    },
  },
  latency: {
    title: "Hop latency per role (p50 solid, p95 dashed)",
    ...SIZE,
    data: { name: DATA },
    mark: { type: "line" },
    encoding: {
      x: { field: "t", type: "quantitative", title: "seconds" },
      y: { field: "ms", type: "quantitative", title: "ms" },
      color: { field: "role", type: "nominal", title: null },
      strokeDash: { field: "quantile", type: "nominal", legend: null, sort: ["p50", "p95"] },
      detail: { field: "quantile" },
    },
  },
  tokens: {
    title: "Completion tokens per task",
    ...SIZE,
    data: { name: DATA },
    mark: { type: "bar", color: "#6a9fd4" },
    encoding: {
      x: { field: "from", type: "quantitative", title: "completion tokens", bin: { binned: true } },
      x2: { field: "to" },
      y: { field: "tasks", type: "quantitative", title: "tasks", axis: { format: "d", tickMinStep: 1 } },
    },
  },
};

export function livePlotSpec(kind: LivePlotKind): VegaLiteSpec {
  if (!LIVE_PLOT_KINDS.includes(kind))
    throw new ConfigError("plots", `unknown live plot '${kind}'; choose from ${LIVE_PLOT_KINDS.join(", ")}`);
  return SPECS[kind];
}

/** Evenly spaced items of `items`, the last always kept. */
export function downsample<T>(items: readonly T[], max = MAX_POINTS): T[] {
  if (items.length <= max) return [...items];
  const step = (items.length - 1) / (max - 1);
  return Array.from({ length: max }, (_, index) => items[Math.round(index * step)]!);
}

const finishedOf = (point: { done: number; failed: number; filtered: number }) =>
  point.done + point.failed + point.filtered;

/** The timeline, with the run's current counters as its last point (the sampler may lag a frame). */
function timeline(metrics: RunMetrics, progress: RunProgress): TimelinePoint[] {
  const points = downsample(metrics.timeline);
  const last = points.at(-1);
  if (!last || finishedOf(last) !== finishedOf(progress) || last.inFlight !== progress.inFlight) {
    const t = Math.max(metrics.seconds(), last?.t ?? 0);
    points.push({
      t,
      done: progress.done,
      failed: progress.failed,
      filtered: progress.filtered,
      inFlight: progress.inFlight,
      tokens: progress.promptTokens + progress.completionTokens,
      rowsPerSecond: progress.rowsPerSecond,
      tokensPerSecond: progress.tokensPerSecond,
      queueDepth: { ...progress.queueDepth },
    });
  }
  return points;
}

function throughputValues(points: readonly TimelinePoint[]): Record<string, number>[] {
  // Rates between the points drawn (not the sampler's 250 ms rates): smooth, and their integral
  // is the finished count.
  return points.map((point, index) => {
    const previous = points[index - 1];
    const seconds = previous ? point.t - previous.t : 0;
    const rate = previous && seconds > 0 ? (finishedOf(point) - finishedOf(previous)) / seconds : 0;
    return { t: round(point.t), finished: finishedOf(point), done: point.done, rowsPerSecond: round(rate) };
  });
}

function queueValues(points: readonly TimelinePoint[]): Record<string, unknown>[] {
  return points.flatMap((point) =>
    Object.entries(point.queueDepth).map(([role, depth]) => ({ t: round(point.t), role, depth })),
  );
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** p50 and p95 of hop handle time per role in (at most MAX_POINTS / 2) equal time windows. */
function latencyValues(metrics: RunMetrics): Record<string, unknown>[] {
  const hops = metrics.hops;
  if (hops.length === 0) return [];
  const end = Math.max(hops.at(-1)!.t, metrics.seconds());
  const windows = Math.max(1, Math.min(Math.floor(MAX_POINTS / 2), Math.ceil(end)));
  const width = end / windows || 1;
  const buckets = new Map<string, number[]>();
  for (const hop of hops) {
    const index = Math.min(windows - 1, Math.floor(hop.t / width));
    const key = `${index}\u0000${hop.role}`;
    let bucket = buckets.get(key);
    if (!bucket) buckets.set(key, (bucket = []));
    bucket.push(hop.handleMs);
  }
  const values: Record<string, unknown>[] = [];
  for (const [key, bucket] of buckets) {
    const [index, role] = key.split("\u0000") as [string, string];
    bucket.sort((a, b) => a - b);
    const t = round((Number(index) + 1) * width);
    values.push({ t, role, quantile: "p50", ms: round(quantile(bucket, 0.5)) });
    values.push({ t, role, quantile: "p95", ms: round(quantile(bucket, 0.95)) });
  }
  return values.sort((a, b) => (a.t as number) - (b.t as number));
}

function tokenValues(metrics: RunMetrics): Record<string, number>[] {
  const tokens = metrics.taskTokens;
  if (tokens.length === 0) return [];
  let min = Infinity;
  let max = -Infinity;
  for (const value of tokens) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  const bins = Math.min(30, Math.max(1, max - min + 1));
  const width = Math.max(1, Math.ceil((max - min + 1) / bins));
  const counts = new Array<number>(Math.ceil((max - min + 1) / width)).fill(0);
  for (const value of tokens) counts[Math.floor((value - min) / width)]!++;
  return counts.map((count, index) => ({ from: min + index * width, to: min + (index + 1) * width, tasks: count }));
}

const round = (value: number) => Math.round(value * 100) / 100;

/** The values a live plot of `kind` draws for the run's metrics now. */
export function livePlotValues(kind: LivePlotKind, metrics: RunMetrics, progress: RunProgress): unknown[] {
  switch (kind) {
    case "throughput":
      return throughputValues(timeline(metrics, progress));
    case "queues":
      return queueValues(timeline(metrics, progress));
    case "latency":
      return latencyValues(metrics);
    case "tokens":
      return tokenValues(metrics);
  }
}

/**
 * Compiled views, kept for the kernel's life: a dashboard of the next run reuses them (compiling is
 * most of a first frame's cost). A render checks one out, so two views never share a view.
 */
const idle: Record<LivePlotKind, VegaView[]> = { throughput: [], queues: [], latency: [], tokens: [] };

/** One live plot; `render` swaps its values into a compiled view and returns the SVG. */
export class LivePlot {
  constructor(readonly kind: LivePlotKind) {
    livePlotSpec(kind);
  }

  async render(values: readonly unknown[]): Promise<string> {
    const view = idle[this.kind].pop() ?? (await compileVegaLite(livePlotSpec(this.kind)));
    try {
      view.data(DATA, values as unknown[]);
      return await view.toSVG();
    } finally {
      idle[this.kind].push(view);
    }
  }
}
