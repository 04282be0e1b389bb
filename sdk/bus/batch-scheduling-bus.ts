/**
 * Batch scheduling, for comparison with row-level scheduling on the same runtime: a bus decorator that
 * moves tasks through each role in batches, like Ray Data's `map_batches`. A role takes up to
 * `batchSize` waiting tasks at once (while it has a free batch slot: its concurrency / batchSize), and
 * the successors of a batch's tasks are published only when every task of the batch has finished its
 * hop: one slow row holds its whole batch (the "bubble" row-level scheduling avoids).
 *
 * Where you are: `bus/`. It wraps any Bus and changes only when tasks move, never what a hop does: the
 * agents, handlers, sink and driver are the row-level ones. A batch that is not full goes after
 * `lingerMs` without a new arrival (the end of the data, or rows dropped by a filter upstream). Roles whose name starts with `_` (the sink) are not batched.
 */
import type { Task } from "../schema/task.js";
import type { Bus, BusConsumer, ConsumeOptions, Delivery, DeliveryHandler } from "./bus.js";

export interface BatchSchedulingOptions {
  /** Rows per batch. */
  batchSize: number;
  /** A partial batch goes after this long without a new arrival. @default 20 */
  lingerMs?: number;
}

interface Waiting {
  delivery: Delivery;
  /** Settles the inner bus's handler promise for this delivery (rejects with a handler's error). */
  done: (error?: unknown) => void;
}

interface HeldPublish {
  role: string;
  task: Task;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** The rows of one running batch: successors wait in `held` until `unfinished` is empty. */
interface Batch {
  unfinished: Set<string>;
  held: HeldPublish[];
}

interface RoleBatcher {
  handler: DeliveryHandler;
  slots: number;
  running: number;
  waiting: Waiting[];
  timer: NodeJS.Timeout | undefined;
  lingered: boolean;
  stopped: boolean;
}

export class BatchSchedulingBus implements Bus {
  readonly kind: string;
  private readonly batchSize: number;
  private readonly lingerMs: number;
  /** Task id → the batch it is running in (so its successor's publish is held). */
  private readonly batchOf = new Map<string, Batch>();
  private readonly batchers = new Map<string, RoleBatcher>();

  constructor(
    private readonly inner: Bus,
    options: BatchSchedulingOptions,
  ) {
    this.kind = inner.kind;
    this.batchSize = Math.max(1, Math.floor(options.batchSize));
    this.lingerMs = options.lingerMs ?? 20;
    if (inner.sharedStore) this.sharedStore = inner.sharedStore.bind(inner);
  }

  sharedStore?: Bus["sharedStore"];

  publish(role: string, task: Task): Promise<void> {
    const batch = this.batchOf.get(task.id);
    if (batch === undefined) return this.inner.publish(role, task);
    return new Promise<void>((resolve, reject) => {
      batch.held.push({ role, task, resolve, reject });
      this.finished(batch, task.id);
    });
  }

  consume(role: string, handler: DeliveryHandler, options: ConsumeOptions): BusConsumer {
    if (role.startsWith("_")) return this.inner.consume(role, handler, options);
    const slots = Math.max(1, Math.floor(options.concurrency / this.batchSize));
    const batcher: RoleBatcher = {
      handler,
      slots,
      running: 0,
      waiting: [],
      timer: undefined,
      lingered: false,
      stopped: false,
    };
    this.batchers.set(role, batcher);
    // The inner consumer hands over as many rows as the batch slots hold, plus one batch being formed.
    const inner = this.inner.consume(
      role,
      (delivery) =>
        new Promise<void>((resolve, reject) => {
          if (batcher.stopped) {
            void delivery.nak().then(resolve, resolve);
            return;
          }
          batcher.waiting.push({ delivery, done: (error) => (error === undefined ? resolve() : reject(error)) });
          this.arrived(batcher);
        }),
      { ...options, concurrency: (slots + 1) * this.batchSize },
    );
    return {
      stop: async () => {
        batcher.stopped = true;
        if (batcher.timer) clearTimeout(batcher.timer);
        // Rows not yet started go back to the queue, so the inner consumer's drain can finish.
        for (const { delivery, done } of batcher.waiting.splice(0))
          await delivery.nak().then(
            () => done(),
            () => done(),
          );
        await inner.stop();
      },
    };
  }

  private arrived(batcher: RoleBatcher): void {
    if (batcher.timer) clearTimeout(batcher.timer);
    batcher.timer = undefined;
    batcher.lingered = false;
    this.startBatches(batcher);
    if (batcher.waiting.length > 0) {
      batcher.timer = setTimeout(() => {
        batcher.timer = undefined;
        batcher.lingered = true;
        this.startBatches(batcher);
      }, this.lingerMs);
      batcher.timer.unref();
    }
  }

  private startBatches(batcher: RoleBatcher): void {
    while (!batcher.stopped && batcher.running < batcher.slots && batcher.waiting.length > 0) {
      // A partial batch goes only once no row has arrived for the linger time.
      if (batcher.waiting.length < this.batchSize && !batcher.lingered) return;
      this.startBatch(batcher, batcher.waiting.splice(0, this.batchSize));
    }
    if (batcher.waiting.length === 0) batcher.lingered = false;
  }

  private startBatch(batcher: RoleBatcher, members: Waiting[]): void {
    batcher.running++;
    const batch: Batch = { unfinished: new Set(members.map((m) => m.delivery.task.id)), held: [] };
    for (const { delivery } of members) this.batchOf.set(delivery.task.id, batch);
    let settled = 0;
    const memberSettled = () => {
      if (++settled < members.length) return;
      batcher.running--;
      this.startBatches(batcher);
    };
    for (const { delivery, done } of members) {
      const id = delivery.task.id;
      const wrapped: Delivery = {
        task: delivery.task,
        deliveryCount: delivery.deliveryCount,
        publishedAt: delivery.publishedAt,
        bytes: delivery.bytes,
        ack: () => delivery.ack(),
        // A row given back leaves its batch: it is finished as far as the barrier is concerned.
        nak: (delayMs) => {
          this.finished(batch, id);
          return delivery.nak(delayMs);
        },
        working: () => delivery.working(),
      };
      const end = (error?: unknown) => {
        this.finished(batch, id);
        // The inner bus handles a handler that threw (it requeues the row and logs the bug).
        done(error);
        memberSettled();
      };
      batcher.handler(wrapped).then(() => end(), end);
    }
  }

  /** One row of `batch` reached the end of its hop; the last one releases every held successor. */
  private finished(batch: Batch, id: string): void {
    if (!batch.unfinished.delete(id)) return;
    this.batchOf.delete(id);
    if (batch.unfinished.size > 0) return;
    for (const held of batch.held.splice(0)) this.inner.publish(held.role, held.task).then(held.resolve, held.reject);
  }

  depth(role: string): number {
    return this.inner.depth(role) + (this.batchers.get(role)?.waiting.length ?? 0);
  }

  closeRun(runId: string): Promise<void> {
    return this.inner.closeRun?.(runId) ?? Promise.resolve();
  }

  close(): Promise<void> {
    for (const batcher of this.batchers.values()) if (batcher.timer) clearTimeout(batcher.timer);
    return this.inner.close();
  }
}
