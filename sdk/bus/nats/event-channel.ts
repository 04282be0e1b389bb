/**
 * Hop events from remote agents back to the driver, over core NATS (not stored: they feed live
 * metrics, and losing some while the driver is away costs nothing; finished tasks travel durably).
 *
 * Where you are: `bus/nats/`. Events are batched (one message per run every `flushMs`), because at
 * 10,000 hops/s one message per event would cost as much as the hops themselves.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { RunEvent } from "../../schema/event.js";
import { names } from "./names.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class EventPublisher {
  private readonly pending = new Map<string, RunEvent[]>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly flushMs = 50,
  ) {}

  emit(runId: string, event: RunEvent): void {
    let batch = this.pending.get(runId);
    if (batch === undefined) this.pending.set(runId, (batch = []));
    batch.push(event);
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const [runId, events] of this.pending) {
      if (this.nc.isClosed()) break;
      this.nc.publish(names.events(runId), encoder.encode(JSON.stringify(events)));
    }
    this.pending.clear();
  }
}

/** Subscribes to a run's events. Malformed batches are dropped: events are advisory. */
export function subscribeEvents(nc: NatsConnection, runId: string, listener: (event: RunEvent) => void): () => void {
  const subscription: Subscription = nc.subscribe(names.events(runId), {
    callback: (error, msg) => {
      if (error) return;
      let events: unknown;
      try {
        events = JSON.parse(decoder.decode(msg.data));
      } catch {
        return;
      }
      if (!Array.isArray(events)) return;
      for (const event of events)
        if (typeof event === "object" && event !== null && typeof event.type === "string") listener(event as RunEvent);
    },
  });
  return () => subscription.unsubscribe();
}
