/**
 * A JetStream message as a bus `Delivery`: ack/nak/working map to the message, and a timer sends
 * in-progress acks while the handler runs, so a long LLM call is not redelivered after `ack_wait`
 * and handlers need not remember to call `working()`.
 *
 * Where you are: `bus/nats/`. Settling is idempotent: the first ack or nak wins.
 */
import type { JsMsg } from "@nats-io/jetstream";
import type { Delivery } from "../bus.js";
import type { Task } from "../../schema/task.js";

export interface NatsDelivery extends Delivery {
  /** Stops the in-progress timer; called when the handler returns, settled or not. */
  release(): void;
  readonly settled: boolean;
}

export function natsDelivery(msg: JsMsg, task: Task, workingEveryMs: number): NatsDelivery {
  let settled = false;
  // Refresh well before ack_wait runs out; unref so a timer never holds a draining process open.
  const timer = setInterval(() => {
    if (!settled) msg.working();
  }, workingEveryMs);
  timer.unref();
  const settle = (): boolean => {
    if (settled) return false;
    settled = true;
    clearInterval(timer);
    return true;
  };
  return {
    task,
    deliveryCount: msg.info.deliveryCount,
    publishedAt: Math.floor(msg.info.timestampNanos / 1e6),
    bytes: msg.data.length,
    get settled() {
      return settled;
    },
    ack: () => {
      if (settle()) msg.ack();
      return Promise.resolve();
    },
    nak: (delayMs = 0) => {
      if (settle()) msg.nak(delayMs > 0 ? delayMs : undefined);
      return Promise.resolve();
    },
    working: () => {
      if (!settled) msg.working();
    },
    release: () => clearInterval(timer),
  };
}
