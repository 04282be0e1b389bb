/**
 * What an agent tells a metrics collector about its deliveries: one call when a delivery arrives, one
 * when it is settled, with the queue wait, handling time and size the loop measured anyway.
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
  /** For `ok` and `failed` (an acked hop): its queue wait and handling time in ms, and the task's size when known. */
  settled(outcome: DeliveryOutcome, queueMs?: number, handleMs?: number, bytes?: number): void;
}
