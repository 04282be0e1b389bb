/**
 * JetStream publishes with their acks awaited, many in flight over one reply subscription, sent to
 * the socket together once per event-loop turn.
 *
 * Where you are: `bus/nats/`. NatsBus.publish (a task hop) goes through here; rare publishes (dead
 * letters, events) use the client directly.
 *
 * Why our own instead of the client's `js.publish`: that one is a request per message, and in the
 * client (@nats-io/nats-core 3.x) every request builds a promise, a timer and an Error with a stack
 * trace (`RequestError("cancelled")` on success), and each publish that lands in its own microtask
 * is its own socket write. Profiled with `--cpu-prof` under bench/nats-bus.ts, that machinery and
 * the writes were about a third of a worker's CPU per hop. Here a hop costs one map entry; one
 * interval timer expires what the server never answered; and publishes queued during a turn of the
 * event loop are written in one burst (the client coalesces what is sent in one synchronous run).
 * What a publish means is unchanged: the promise settles with the server's ack for that message,
 * its `Nats-Msg-Id` header lets the server drop a repeated hop, and a lost reply is a retryable
 * timeout.
 *
 * Acks of deliveries ride in the same burst (`ack`): sent at once, each went out in a socket write
 * of its own, and on loopback a write costs the sender the receiver's side of TCP too (the driver,
 * acking one finished task at a time, spent about a third of its CPU in writes). A burst is written
 * as one buffer of protocol (protocol-burst.ts).
 */
import type { JsMsg } from "@nats-io/jetstream";
import { createInbox, type Msg, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { BusError } from "../../errors.js";
import { protocolBurstFor, type ProtocolBurst } from "./protocol-burst.js";

interface Pending {
  resolve: () => void;
  reject: (error: Error) => void;
  expires: number;
}

interface Outgoing {
  subject: string;
  data: Uint8Array;
  msgID: string;
  token: string;
}

export interface JetStreamPublisherOptions {
  /** How often unanswered publishes are checked for their timeout. @default 250 */
  sweepEveryMs?: number;
  /** Send through the client's publish and ack instead of one buffer per burst (tests of both). */
  viaClient?: boolean;
}

const decoder = new TextDecoder();
const STORED = new TextEncoder().encode('{"stream":"');
const QUOTE = 0x22;

function startsWith(data: Uint8Array, prefix: Uint8Array): boolean {
  if (data.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (data[i] !== prefix[i]) return false;
  return true;
}

export class JetStreamPublisher {
  private readonly prefix: string;
  private readonly pending = new Map<string, Pending>();
  private queue: Outgoing[] = [];
  private acks: JsMsg[] = [];
  private readonly burst: ProtocolBurst;
  private readonly sweepEveryMs: number;
  private scheduled = false;
  private next = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private subscription: Subscription | undefined;
  private closed = false;

  constructor(
    private readonly nc: NatsConnection,
    options: JetStreamPublisherOptions = {},
  ) {
    this.prefix = `${createInbox()}.`;
    this.sweepEveryMs = options.sweepEveryMs ?? 250;
    this.burst = protocolBurstFor(nc, { viaClient: options.viaClient });
  }

  /** Resolves when the stream has stored the message (or dropped it as a duplicate of `msgID`). */
  publish(subject: string, data: Uint8Array, msgID: string, timeoutMs: number): Promise<void> {
    if (this.closed) return Promise.reject(new BusError("Cannot publish: the publisher is closed."));
    // Subscribed on first use, so a bus that never publishes (a status query) holds no subscription.
    this.subscription ??= this.nc.subscribe(`${this.prefix}*`, {
      callback: (error, msg) => {
        if (!error) this.answer(msg);
      },
    });
    const token = (this.next++).toString(36);
    return new Promise<void>((resolve, reject) => {
      this.pending.set(token, { resolve, reject, expires: Date.now() + timeoutMs });
      this.enqueue({ subject, data, msgID, token });
      this.sweeper ??= setInterval(() => this.sweep(), this.sweepEveryMs).unref();
    });
  }

  /**
   * Acks a delivery with the next burst of publishes instead of at once. Not after close(): an ack
   * that never goes out only means a redelivery.
   */
  ack(msg: JsMsg): void {
    if (this.closed) return;
    this.acks.push(msg);
    this.schedule();
  }

  private enqueue(item: Outgoing): void {
    this.queue.push(item);
    this.schedule();
  }

  /** Sends what waits for the next burst now (before the connection drains, so its acks go out). */
  flush(): void {
    if (this.scheduled) this.send();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.send);
  }

  /** Writes everything queued as one burst: the client sends it in one socket write. */
  private readonly send = (): void => {
    this.scheduled = false;
    const acks = this.acks;
    this.acks = [];
    for (const msg of acks) {
      try {
        this.burst.ack(msg);
      } catch {
        // A closed connection: the message is redelivered to whoever consumes next.
      }
    }
    const queue = this.queue;
    this.queue = [];
    for (const { subject, data, msgID, token } of queue) {
      const entry = this.pending.get(token);
      if (entry === undefined) continue;
      try {
        this.burst.publish(subject, data, msgID, this.prefix + token);
      } catch (error) {
        // Closed or draining connection, bad subject, too large: the caller decides whether to retry.
        this.pending.delete(token);
        entry.reject(
          new BusError(`Publishing to ${subject} failed: ${(error as Error)?.message ?? error}`, {
            cause: error,
            isRetryable: !this.closed,
          }),
        );
      }
    }
    this.burst.end();
  };

  private answer(msg: Msg): void {
    const token = msg.subject.slice(this.prefix.length);
    const entry = this.pending.get(token);
    if (entry === undefined) return; // timed out already; the retry carries the same msgID
    this.pending.delete(token);
    // A status reply: 503 is "no responders", i.e. no stream (yet, or any more) takes the subject.
    if (msg.headers?.hasError) {
      const code = msg.headers.code;
      entry.reject(
        new BusError(`JetStream did not take the message: ${code} ${msg.headers.description || "no responders"}`, {
          isRetryable: code === 503 || code === 408,
        }),
      );
      return;
    }
    // The server writes a stored message's ack as {"stream":...} and an error as {"error":...} first
    // (nats-server's JSPubAckResponse), so the common case needs no JSON.parse: one per hop.
    if (startsWith(msg.data, STORED) && msg.data[STORED.length] !== QUOTE) {
      entry.resolve();
      return;
    }
    let ack: { stream?: string; error?: { code?: number; description?: string } };
    try {
      ack = JSON.parse(decoder.decode(msg.data)) as typeof ack;
    } catch {
      entry.reject(new BusError("JetStream answered a publish with something that is not JSON."));
      return;
    }
    if (ack.error) {
      const code = ack.error.code ?? 0;
      entry.reject(
        new BusError(`JetStream refused the message: ${ack.error.description ?? "no description"} (${code})`, {
          isRetryable: code === 503,
        }),
      );
    } else if (!ack.stream) {
      entry.reject(new BusError("JetStream answered a publish without naming a stream."));
    } else entry.resolve();
  }

  private sweep(): void {
    const now = Date.now();
    for (const [token, entry] of this.pending) {
      if (entry.expires > now) continue;
      this.pending.delete(token);
      entry.reject(new BusError("Publishing timed out waiting for the JetStream ack.", { isRetryable: true }));
    }
    if (this.pending.size === 0) {
      clearInterval(this.sweeper);
      this.sweeper = undefined;
    }
  }

  /** Fails what is still waiting (the bus is closing) and drops the reply subscription. */
  close(): void {
    this.closed = true;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
    for (const entry of this.pending.values())
      entry.reject(new BusError("The bus closed before JetStream acked the message."));
    this.pending.clear();
    this.queue = [];
    this.acks = [];
    this.subscription?.unsubscribe();
  }
}
