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
 */
import { createInbox, headers, type Msg, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { BusError } from "../../errors.js";

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

const decoder = new TextDecoder();

export class JetStreamPublisher {
  private readonly prefix: string;
  private readonly pending = new Map<string, Pending>();
  private queue: Outgoing[] = [];
  private next = 0;
  private sweeper: NodeJS.Timeout | undefined;
  private subscription: Subscription | undefined;
  private closed = false;

  constructor(
    private readonly nc: NatsConnection,
    /** How often unanswered publishes are checked for their timeout. */
    private readonly sweepEveryMs = 250,
  ) {
    this.prefix = `${createInbox()}.`;
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

  private enqueue(item: Outgoing): void {
    if (this.queue.push(item) === 1) setImmediate(() => this.send());
  }

  /** Writes everything queued in one synchronous run: the client sends it as one socket write. */
  private send(): void {
    const queue = this.queue;
    this.queue = [];
    for (const { subject, data, msgID, token } of queue) {
      const entry = this.pending.get(token);
      if (entry === undefined) continue;
      try {
        const h = headers();
        h.set("Nats-Msg-Id", msgID);
        this.nc.publish(subject, data, { reply: this.prefix + token, headers: h });
      } catch (error) {
        // Closed or draining connection, bad subject: the caller decides whether to retry.
        this.pending.delete(token);
        entry.reject(
          new BusError(`Publishing to ${subject} failed: ${(error as Error)?.message ?? error}`, {
            cause: error,
            isRetryable: !this.closed,
          }),
        );
      }
    }
  }

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
    this.subscription?.unsubscribe();
  }
}
