/**
 * RunMetrics as arquero tables, in the long ("tidy") form vega-lite plots and group-bys want.
 *
 * Where you are: `metrics/`. Each function is a pure view of a RunMetrics; nothing is cached.
 */
import * as aq from "arquero";
import type { RunMetrics } from "./run-metrics.js";
import { summarize } from "./summarize.js";

/** One row per progress sample: t, done, failed, filtered, inFlight, rowsPerSecond, tokensPerSecond. */
export function timelineTable(metrics: RunMetrics): aq.ColumnTable {
  return aq.from(metrics.timeline.map(({ queueDepth: _queues, ...point }) => point));
}

/** One row per (sample, role): t, role, depth. */
export function queueDepthTable(metrics: RunMetrics): aq.ColumnTable {
  const rows = metrics.timeline.flatMap((point) =>
    Object.entries(point.queueDepth).map(([role, depth]) => ({ t: point.t, role, depth })),
  );
  return rows.length > 0 ? aq.from(rows) : aq.table({ t: [], role: [], depth: [] });
}

/** One row per hop: role, queueMs, handleMs, tokens, t. */
export function hopsTable(metrics: RunMetrics): aq.ColumnTable {
  return metrics.hops.length > 0
    ? aq.from(metrics.hops)
    : aq.table({ role: [], queueMs: [], handleMs: [], tokens: [], t: [] });
}

/** One row per role: hops, mean/p50/p95 handle and queue time, tokens. */
export function roleLatencyTable(metrics: RunMetrics): aq.ColumnTable {
  const byRole = new Map<string, { queue: number[]; handle: number[]; tokens: number }>();
  for (const hop of metrics.hops) {
    const entry = byRole.get(hop.role) ?? { queue: [], handle: [], tokens: 0 };
    entry.queue.push(hop.queueMs);
    entry.handle.push(hop.handleMs);
    entry.tokens += hop.tokens;
    byRole.set(hop.role, entry);
  }
  const rows = [...byRole].map(([role, entry]) => {
    const handle = summarize(entry.handle);
    const queue = summarize(entry.queue);
    return {
      role,
      hops: handle.count,
      handleMeanMs: handle.mean,
      handleP50Ms: handle.p50,
      handleP95Ms: handle.p95,
      queueP50Ms: queue.p50,
      queueP95Ms: queue.p95,
      tokens: entry.tokens,
    };
  });
  return rows.length > 0 ? aq.from(rows) : aq.table({ role: [], hops: [] });
}
