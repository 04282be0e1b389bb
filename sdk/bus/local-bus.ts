/**
 * The in-process bus: one FIFO queue per role, the embedded default.
 *
 * Where you are: `bus/`. Row-level scheduling lives here: the moment a hop publishes its task, the
 * next role's consumer may take it; there is no batch and no barrier. Tasks are passed by reference
 * (no copy, no validation): a hop on this bus must cost microseconds, not milliseconds.
 */
import { BusError } from "../errors.js";
import { rootLogger } from "../logger.js";
import type { Task } from "../schema/task.js";
import type { Bus, BusConsumer, ConsumeOptions, Delivery, DeliveryHandler } from "./bus.js";
import { MemorySharedStore } from "./memory-shared-store.js";

interface Entry {
  task: Task;
  publishedAt: number;
  deliveryCount: number;
}

interface Consumer {
  handler: DeliveryHandler;
  concurrency: number;
  active: number;
  stopped: boolean;
  idle: (() => void) | undefined;
}

/** A FIFO with O(1) shift: a head index, compacted when half the array is spent. */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;
  get size(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined as T;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

class RoleQueue {
  readonly entries = new Fifo<Entry>();
  readonly consumers: Consumer[] = [];
  scheduled = false;
  /** Rotates which consumer is offered the next task, so instances share the work. */
  next = 0;
  /** Runs the scheduled pump: one function per queue, not a closure per publish. */
  readonly run: () => void;
  constructor(pump: (queue: RoleQueue) => void) {
    this.run = () => {
      this.scheduled = false;
      pump(this);
    };
  }
}

/** One task handed to a consumer of the local bus; `nak` puts it back at the end of the queue. */
class LocalDelivery implements Delivery {
  readonly task: Task;
  readonly deliveryCount: number;
  readonly publishedAt: number;
  settled = false;
  constructor(
    private readonly bus: LocalBus,
    private readonly queue: RoleQueue,
    private readonly entry: Entry,
  ) {
    this.task = entry.task;
    this.deliveryCount = entry.deliveryCount;
    this.publishedAt = entry.publishedAt;
  }

  ack(): Promise<void> {
    this.settled = true;
    return Promise.resolve();
  }

  nak(delayMs = 0): Promise<void> {
    if (this.settled) return Promise.resolve();
    this.settled = true;
    if (delayMs > 0) setTimeout(() => this.bus.requeue(this.queue, this.entry), delayMs).unref();
    else this.bus.requeue(this.queue, this.entry);
    return Promise.resolve();
  }

  working(): void {}
}

export class LocalBus implements Bus {
  readonly kind = "local";
  private readonly queues = new Map<string, RoleQueue>();
  private readonly stores = new Map<string, MemorySharedStore>();
  private closed = false;

  private queue(role: string): RoleQueue {
    let queue = this.queues.get(role);
    if (queue === undefined) {
      queue = new RoleQueue((scheduled) => this.pump(scheduled));
      this.queues.set(role, queue);
    }
    return queue;
  }

  publish(role: string, task: Task): Promise<void> {
    if (this.closed)
      return Promise.reject(new BusError(`Cannot publish task ${task.id} to '${role}': the bus is closed.`));
    const queue = this.queue(role);
    queue.entries.push({ task, publishedAt: Date.now(), deliveryCount: 1 });
    this.schedule(queue);
    return Promise.resolve();
  }

  private schedule(queue: RoleQueue): void {
    if (queue.scheduled || queue.consumers.length === 0) return;
    queue.scheduled = true;
    // The next turn of the event loop (the check phase), not a microtask. A direct call would grow the
    // stack along a chain of hops; a microtask ran the next hop, and the LLM request in it, inside the I/O
    // callback that had just finished the last one. From the check phase an LLM call costs less CPU:
    // 0.50 against 0.75 ms a call in bench/llm-cpu.ts (issue #13). We measured that, not why; one part we
    // saw is undici, which hands a finished reply's connection on in an Immediate of its own, so a request
    // sent before that opens another socket. It also lets timers and sockets run between waves of hops.
    // One Immediate per queue per wave, not per publish (`scheduled`).
    setImmediate(queue.run);
  }

  private pump(queue: RoleQueue): void {
    const consumers = queue.consumers;
    let idleRounds = 0;
    while (queue.entries.size > 0 && idleRounds < consumers.length) {
      const consumer = consumers[queue.next % consumers.length]!;
      queue.next++;
      if (consumer.stopped || consumer.active >= consumer.concurrency) {
        idleRounds++;
        continue;
      }
      idleRounds = 0;
      this.deliver(queue, consumer, queue.entries.shift()!);
    }
  }

  private deliver(queue: RoleQueue, consumer: Consumer, entry: Entry): void {
    consumer.active++;
    void this.handle(queue, consumer, new LocalDelivery(this, queue, entry));
  }

  /**
   * Runs the consumer's handler on one delivery, then offers the queue's next task. A method and a
   * delivery class rather than closures per delivery: four named closures a hop (two hops an LLM call)
   * were ~5 µs of an LLM call under tsx, whose `__name` helper renames each one (bench/llm-cpu-profile.ts).
   */
  private async handle(queue: RoleQueue, consumer: Consumer, delivery: LocalDelivery): Promise<void> {
    try {
      await consumer.handler(delivery);
    } catch (error) {
      // A handler must settle its delivery itself; one that throws is a bug in the caller. Requeue the
      // task rather than lose it, and report the bug without taking the process down.
      rootLogger().error({ err: error, taskId: delivery.task.id }, "a bus handler threw; the task was requeued");
      if (!delivery.settled) void delivery.nak(100);
    }
    consumer.active--;
    if (consumer.stopped && consumer.active === 0) consumer.idle?.();
    // A backlog is served on the next turn as well: taken at once, a queue of cheap tasks ran to its end
    // in one microtask drain, starving timers and sockets, and an LLM call taken from the callback that
    // finished the last one cost ~0.2 ms more CPU (0.65 against 0.45 ms a call, 64 in flight, 256 queued).
    if (queue.entries.size > 0) setImmediate(this.pumpLater, queue);
  }

  private readonly pumpLater = (queue: RoleQueue): void => this.pump(queue);

  /** Puts a nak'ed entry back at the end of its queue. */
  requeue(queue: RoleQueue, entry: Entry): void {
    queue.entries.push({ ...entry, deliveryCount: entry.deliveryCount + 1 });
    this.schedule(queue);
  }

  consume(role: string, handler: DeliveryHandler, options: ConsumeOptions): BusConsumer {
    if (this.closed) throw new BusError(`Cannot consume '${role}': the bus is closed.`);
    const queue = this.queue(role);
    const consumer: Consumer = {
      handler,
      concurrency: Math.max(1, options.concurrency),
      active: 0,
      stopped: false,
      idle: undefined,
    };
    queue.consumers.push(consumer);
    this.schedule(queue);
    let stopping: Promise<void> | undefined;
    return {
      stop: () => {
        stopping ??= new Promise<void>((resolve) => {
          consumer.stopped = true;
          const index = queue.consumers.indexOf(consumer);
          if (index >= 0) queue.consumers.splice(index, 1);
          if (consumer.active === 0) resolve();
          else consumer.idle = resolve;
        });
        return stopping;
      },
    };
  }

  depth(role: string): number {
    return this.queues.get(role)?.entries.size ?? 0;
  }

  /** One in-memory store per run and name (every agent of a local run is in this process). */
  sharedStore(runId: string, name: string): MemorySharedStore {
    const key = `${runId}\u0000${name}`;
    let store = this.stores.get(key);
    if (store === undefined) {
      store = new MemorySharedStore();
      this.stores.set(key, store);
    }
    return store;
  }

  async closeRun(runId: string): Promise<void> {
    for (const key of this.stores.keys()) if (key.startsWith(`${runId}\u0000`)) this.stores.delete(key);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stores.clear();
  }
}

export function createLocalBus(): LocalBus {
  return new LocalBus();
}
