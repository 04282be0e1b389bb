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
    /** Sends the ack: at once by default; the bus passes its publisher's next burst (jetstream-publisher.ts). */
    private readonly sendAck: (msg: JsMsg) => void = (msg) => msg.ack(),
  ) {
    // The client's JsMsg has `reply` (the ack subject) without declaring it; without it, its own parser.
    const reply = (msg as JsMsg & { reply?: unknown }).reply;
    const info = (typeof reply === "string" ? deliveryInfo(reply) : undefined) ?? msg.info;
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
      this.sendAck(this.msg);
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

/** Where the dots of an ack subject are (reused: one hop reads one subject at a time). */
const dots = new Int32Array(12);

/**
 * The two fields a hop needs from the ack subject, instead of `msg.info`, which splits the subject,
 * splices it and parses all ten fields (0.8 KB and about a microsecond a hop, --heap-prof). The
 * subject is `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time ns>.<pending>`
 * (9 tokens), or with `<domain>.<account hash>` after `ACK` and a random token at the end (11 or 12).
 * Anything else is left to the client's parser (undefined). Read by finding the dots rather than by
 * `split`, which made an array and nine strings a hop to use two of them (450 against 190 ns, node 20).
 */
export function deliveryInfo(reply: string): { deliveryCount: number; timestampNanos: number } | undefined {
  if (!reply.startsWith("$JS.ACK.")) return undefined;
  let found = 0;
  for (let at = reply.indexOf("."); at >= 0 && found < dots.length; at = reply.indexOf(".", at + 1)) dots[found++] = at;
  const tokens = found + 1;
  const shift = tokens === 9 ? 0 : tokens === 11 || tokens === 12 ? 2 : -1;
  if (shift < 0) return undefined; // 13 or more tokens stop the count at 13
  // Token i lies between dot i - 1 and dot i.
  const deliveryCount = Number(reply.slice(dots[3 + shift]! + 1, dots[4 + shift]));
  const timestampNanos = Number(reply.slice(dots[6 + shift]! + 1, dots[7 + shift]));
  return Number.isInteger(deliveryCount) && Number.isFinite(timestampNanos)
    ? { deliveryCount, timestampNanos }
    : undefined;
}
