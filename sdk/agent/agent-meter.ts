/**
 * What an agent tells a metrics collector about its deliveries: one call when a delivery arrives, one
 * when it is settled. Hop latencies travel in the `hop-end` event the loop already emits.
 *
 * Where you are: `agent/`. The interface lives here so the agent loop depends on nothing above it;
 * `metrics/live-metrics.ts` implements it with plain counters (these calls are on the hot path).
 */

/**
 * How a delivery ended: `ok` (the successor is published and the delivery acked), `failed` (acked, and
 * this hop failed the task), `retried` (the handler threw and the delivery was given back), or
 * `unpublished` (the successor could not be published; given back).
 */
export type DeliveryOutcome = "ok" | "failed" | "retried" | "unpublished";

export interface AgentMeter {
  received(): void;
  settled(outcome: DeliveryOutcome): void;
}
