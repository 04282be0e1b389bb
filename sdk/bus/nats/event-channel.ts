/**
 * Hop events from remote agents back to the driver, over core NATS (not stored: they feed live
 * metrics, and losing some while the driver is away costs nothing; finished tasks travel durably).
 *
 * Where you are: `bus/nats/`. Events are batched (one message per run every `flushMs`), because at
 * 10,000 hops/s one message per event would cost as much as the hops themselves; a batch's hops go as
 * flat columns (event-batch.ts), because even batched, JSON objects were a tenth of a hop's CPU.
 */
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import type { RunEvent } from "../../schema/event.js";
import { EventBatchWriter, readEventBatch } from "./event-batch.js";
import { names } from "./names.js";

const MAX_BATCH = 5000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class EventPublisher {
  private readonly pending = new Map<string, EventBatchWriter>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly flushMs = 50,
  ) {}

  emit(runId: string, event: RunEvent): void {
    let batch = this.pending.get(runId);
    if (batch === undefined) this.pending.set(runId, (batch = new EventBatchWriter()));
    batch.add(event);
    // Well under max_payload (1 MB) at about 40 bytes a hop, however fast this process runs.
    if (batch.size >= MAX_BATCH) this.flush();
    else if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.flushMs);
      this.timer.unref();
    }
  }

  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    for (const [runId, batch] of this.pending) {
      if (this.nc.isClosed()) break;
      this.nc.publish(names.events(runId), encoder.encode(JSON.stringify(batch.take())));
    }
    this.pending.clear();
  }
}

/** Subscribes to a run's events. Malformed batches are dropped: events are advisory. */
export function subscribeEvents(nc: NatsConnection, runId: string, listener: (event: RunEvent) => void): () => void {
  const subscription: Subscription = nc.subscribe(names.events(runId), {
    callback: (error, msg) => {
      if (error) return;
      let batch: unknown;
      try {
        batch = JSON.parse(decoder.decode(msg.data));
      } catch {
        return;
      }
      // A plain array of events: the format of workers from before event-batch.ts, still read, so a
      // newer driver shows their hops during a rolling upgrade.
      if (Array.isArray(batch)) {
        for (const event of batch)
          if (typeof event === "object" && event !== null && typeof event.type === "string")
            listener(event as RunEvent);
        return;
      }
      for (const event of readEventBatch(batch) ?? []) listener(event);
    },
  });
  return () => subscription.unsubscribe();
}
