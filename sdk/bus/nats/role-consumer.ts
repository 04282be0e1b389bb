/**
 * One instance's share of a role: pulls from the role's durable consumer (shared by every instance
 * on every machine, so they compete), validates each message, and runs at most `concurrency`
 * handlers at once.
 *
 * Where you are: `bus/nats/`. Backpressure is two-level: this loop never holds more than
 * `concurrency` messages it is not working on, and the server's `max_ack_pending` bounds the role
 * across all instances. One timer sends in-progress acks for every delivery in hand, so a long LLM
 * call is not redelivered after `ack_wait` and handlers need not remember to call `working()`.
 * `stop()` stops pulling, gives back what was pulled but not started (nak, so another instance takes
 * it now rather than after ack_wait) and waits for the handlers in hand.
 */
import type { ConsumerMessages, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { Logger } from "pino";
import type { BusConsumer, DeliveryHandler } from "../bus.js";
import type { Task } from "../../schema/task.js";
import type { TaskValidationError } from "../../errors.js";
import { NatsDelivery } from "./nats-delivery.js";
import { decodeTask } from "./task-codec.js";

export interface RoleConsumerOptions {
  js: JetStreamClient;
  stream: string;
  consumer: string;
  role: string;
  handler: DeliveryHandler;
  concurrency: number;
  /** In-progress acks are sent this often while a handler runs. */
  workingEveryMs: number;
  /** Runs before the handler (restoring offloaded rows); a throw naks the message. Undefined: nothing to wait for. */
  prepare?: (task: Task) => Promise<void> | undefined;
  /** Sends a delivery's ack (the bus batches them with its publishes). @default at once */
  sendAck?: (msg: JsMsg) => void;
  /** A message that failed validation; it is termed afterwards either way. */
  onCorrupt: (msg: JsMsg, error: TaskValidationError, raw: unknown) => Promise<void>;
  logger?: Logger;
}

export function startRoleConsumer(options: RoleConsumerOptions): BusConsumer {
  const { js, handler, logger } = options;
  const concurrency = Math.max(1, options.concurrency);
  let stopped = false;
  let active = 0;
  let messages: ConsumerMessages | undefined;
  let slotFree: (() => void) | undefined;
  let idle: (() => void) | undefined;
  const inHand = new Set<NatsDelivery>();
  // Unref'd: it never holds a draining process open. A delivery taken just before a tick gets an
  // early signal, which is harmless; one taken just after gets its first within workingEveryMs.
  const heartbeat = setInterval(() => {
    for (const delivery of inHand) delivery.working();
  }, options.workingEveryMs);
  heartbeat.unref();

  const finish = (): void => {
    active--;
    slotFree?.();
    slotFree = undefined;
    if (stopped && active === 0) idle?.();
  };

  const handle = async (msg: JsMsg): Promise<void> => {
    const decoded = decodeTask(msg.data);
    if (!decoded.ok) {
      logger?.error({ role: options.role, seq: msg.seq, err: decoded.error }, "corrupt task message dead-lettered");
      try {
        await options.onCorrupt(msg, decoded.error, decoded.raw);
        msg.term(decoded.error.message);
      } catch (error) {
        logger?.error({ err: error }, "dead-lettering a corrupt message failed; it will be redelivered");
        msg.nak(1000);
      }
      return;
    }
    const delivery = new NatsDelivery(msg, decoded.task, options.sendAck);
    inHand.add(delivery);
    try {
      try {
        const preparing = options.prepare?.(decoded.task);
        if (preparing) await preparing;
      } catch (error) {
        logger?.warn({ taskId: decoded.task.id, err: error }, "preparing a delivery failed; redelivering");
        await delivery.nak(1000);
        return;
      }
      await handler(delivery);
    } catch (error) {
      // A handler must settle its delivery; one that throws is a bug. Give the task back, not lose it.
      logger?.error({ taskId: decoded.task.id, err: error }, "a delivery handler threw");
      if (!delivery.settled) await delivery.nak(1000);
    } finally {
      inHand.delete(delivery);
    }
  };

  const loop = async (): Promise<void> => {
    while (!stopped) {
      try {
        const consumer = await js.consumers.get(options.stream, options.consumer);
        // Short pulls: after a server restart a lost pull is noticed by missed heartbeats (expires / 2) and renewed.
        messages = await consumer.consume({ max_messages: concurrency, expires: 2000 });
        if (stopped) messages.stop();
        for await (const msg of messages) {
          if (stopped) {
            msg.nak();
            continue;
          }
          active++;
          void handle(msg).finally(finish);
          if (active >= concurrency) await new Promise<void>((resolve) => (slotFree = resolve));
        }
      } catch (error) {
        if (stopped) break;
        logger?.debug({ role: options.role, err: error }, "consuming stopped; retrying");
      }
      // The iterator ended without stop(): the server went away or the consumer was deleted. Try again.
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };
  const looping = loop();

  let stopping: Promise<void> | undefined;
  return {
    stop: () => {
      stopping ??= (async () => {
        stopped = true;
        slotFree?.();
        messages?.stop();
        await looping;
        if (active > 0) await new Promise<void>((resolve) => (idle = resolve));
        clearInterval(heartbeat);
      })();
      return stopping;
    },
  };
}
