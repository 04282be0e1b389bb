/**
 * RunMetrics as Prometheus text exposition, through prom-client with a private registry (never the
 * global one, so two runs in one notebook, or a worker's own metrics, do not collide).
 *
 * Where you are: `metrics/`. Workers serve this text; notebooks may print it.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { RunMetrics } from "./run-metrics.js";

const SECONDS_BUCKETS = [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** A fresh registry holding the run's counters, per-role histograms and latest queue depths. */
export function prometheusRegistry(metrics: RunMetrics, labels: { pipeline?: string; runId?: string } = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels(Object.fromEntries(Object.entries(labels).filter(([, value]) => value !== undefined)));
  const tasks = new Counter({
    name: "matrix_tasks_total",
    help: "Finished tasks by status",
    labelNames: ["status"],
    registers: [registry],
  });
  for (const [status, count] of Object.entries(metrics.counts)) tasks.inc({ status }, count);
  const hops = new Counter({
    name: "matrix_hops_total",
    help: "Hops handled by role",
    labelNames: ["role"],
    registers: [registry],
  });
  const tokens = new Counter({
    name: "matrix_tokens_total",
    help: "LLM tokens by role and kind",
    labelNames: ["role", "kind"],
    registers: [registry],
  });
  const handle = new Histogram({
    name: "matrix_hop_handle_seconds",
    help: "Time a role's handler ran per hop",
    labelNames: ["role"],
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });
  const queue = new Histogram({
    name: "matrix_hop_queue_seconds",
    help: "Time a task waited in a role's queue",
    labelNames: ["role"],
    buckets: SECONDS_BUCKETS,
    registers: [registry],
  });
  for (const hop of metrics.hops) {
    hops.inc({ role: hop.role });
    handle.observe({ role: hop.role }, hop.handleMs / 1000);
    queue.observe({ role: hop.role }, hop.queueMs / 1000);
  }
  for (const [role, usage] of Object.entries(metrics.tokensByRole)) {
    tokens.inc({ role, kind: "prompt" }, usage.prompt);
    tokens.inc({ role, kind: "completion" }, usage.completion);
  }
  const depth = new Gauge({
    name: "matrix_queue_depth",
    help: "Tasks waiting per role (last sample)",
    labelNames: ["role"],
    registers: [registry],
  });
  const last = metrics.timeline[metrics.timeline.length - 1];
  for (const [role, value] of Object.entries(last?.queueDepth ?? {})) depth.set({ role }, value);
  const inFlight = new Gauge({
    name: "matrix_tasks_in_flight",
    help: "Tasks fed and not finished (last sample)",
    registers: [registry],
  });
  inFlight.set(last?.inFlight ?? 0);
  return registry;
}

/** The Prometheus text format of the run's metrics. */
export function prometheusText(
  metrics: RunMetrics,
  labels: { pipeline?: string; runId?: string } = {},
): Promise<string> {
  return prometheusRegistry(metrics, labels).metrics();
}
