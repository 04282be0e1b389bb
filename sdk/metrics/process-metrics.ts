/**
 * The process registry: prom-client's default metrics (CPU seconds, resident and heap memory,
 * event-loop lag, GC, handles) for this process, in a private registry created on first use.
 *
 * Where you are: `metrics/`. One per process, not per run: prom-client's collectors install an
 * event-loop monitor and a GC observer that are never removed, so a notebook starting many runs must
 * not install them again each time. Every `/metrics` endpoint of the process serves it after its own
 * families (LiveMetrics.text).
 */
import { collectDefaultMetrics, Registry } from "prom-client";

let registry: Registry | undefined;

export function processRegistry(): Registry {
  if (registry === undefined) {
    registry = new Registry();
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });
  }
  return registry;
}
