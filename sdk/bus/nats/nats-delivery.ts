/**
 * A JetStream message as a bus `Delivery`: ack/nak/working map to the message.
 *
 * Where you are: `bus/nats/`. Settling is idempotent: the first ack or nak wins. The in-progress
 * signals that keep a long LLM call from being redelivered after `ack_wait` are sent by the role
 * consumer (role-consumer.ts), one timer for every delivery in hand: a timer per message cost
 * about 5% of a worker's CPU at 10,000 hops/s (bench/nats-bus.ts, --cpu-prof).
 */
import type { JsMsg } from "@nats-io/jetstream";
import type { Delivery } from "../bus.js";
import type { Task } from "../../schema/task.js";

/** A class, not an object of closures: one is made per hop (bench/nats-bus.ts). */
export class NatsDelivery implements Delivery {
  readonly deliveryCount: number;
  readonly publishedAt: number;
  readonly bytes: number;
  #settled = false;

  constructor(
    private readonly msg: JsMsg,
    readonly task: Task,
  ) {
    const info = msg.info;
    this.deliveryCount = info.deliveryCount;
    this.publishedAt = Math.floor(info.timestampNanos / 1e6);
    this.bytes = msg.data.length;
  }

  get settled(): boolean {
    return this.#settled;
  }

  ack(): Promise<void> {
    if (!this.#settled) {
      this.#settled = true;
      this.msg.ack();
    }
    return Promise.resolve();
  }

  nak(delayMs = 0): Promise<void> {
    if (!this.#settled) {
      this.#settled = true;
      this.msg.nak(delayMs > 0 ? delayMs : undefined);
    }
    return Promise.resolve();
  }

  working(): void {
    if (!this.#settled) this.msg.working();
  }
}
