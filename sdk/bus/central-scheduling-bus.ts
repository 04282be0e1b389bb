/**
 * Central scheduling, for comparison with peer-to-peer row-level scheduling on the same runtime: a bus
 * decorator in which one controller loop drives every task from its first role to the sink, calling
 * each role's handler itself, under one global concurrency limit, like the original Coral and tau2
 * runners (a coroutine or thread per task, a semaphore around them all). There are no queues between
 * roles and no per-role concurrency: a task holds its controller slot from start to end.
 *
 * Where you are: `bus/`. It wraps a Bus and changes only who moves tasks: the agents register their
 * handlers through `consume` as usual, and a successor they publish to a served role is run next by the
 * controller instead of being queued. New tasks (the driver's) wait in one controller queue on the
 * inner bus; roles whose name starts with `_` (the sink), and roles nobody serves here, go to the inner
 * bus as usual.
 */
import type { Task } from "../schema/task.js";
import type { Bus, BusConsumer, ConsumeOptions, Delivery, DeliveryHandler } from "./bus.js";

export interface CentralSchedulingOptions {
  /** Tasks the controller drives at once. */
  concurrency: number;
}

/** The inner bus's queue of tasks the controller has not started. */
const CONTROLLER_QUEUE = "_controller";

interface Served {
  handler: DeliveryHandler;
  active: number;
  stopped: boolean;
  idle: (() => void) | undefined;
}

export class CentralSchedulingBus implements Bus {
  readonly kind: string;
  private readonly served = new Map<string, Served>();
  /** Task id → the role its handler published it to, while the controller holds the task. */
  private readonly held = new Map<string, { next: string | undefined }>();
  /** Tasks waiting in the controller queue, by the role they start at (for `depth`). */
  private readonly waiting = new Map<string, number>();
  private controller: BusConsumer | undefined;

  constructor(
    private readonly inner: Bus,
    private readonly options: CentralSchedulingOptions,
  ) {
    this.kind = inner.kind;
    if (inner.sharedStore) this.sharedStore = inner.sharedStore.bind(inner);
  }

  sharedStore?: Bus["sharedStore"];

  publish(role: string, task: Task): Promise<void> {
    const hold = this.held.get(task.id);
    if (hold !== undefined && this.served.has(role)) {
      hold.next = role;
      return Promise.resolve();
    }
    if (hold !== undefined) hold.next = undefined;
    if (!this.served.has(role) && (role.startsWith("_") || hold !== undefined)) return this.inner.publish(role, task);
    this.waiting.set(role, (this.waiting.get(role) ?? 0) + 1);
    return this.inner.publish(CONTROLLER_QUEUE, task);
  }

  consume(role: string, handler: DeliveryHandler, options: ConsumeOptions): BusConsumer {
    if (role.startsWith("_")) return this.inner.consume(role, handler, options);
    const served: Served = { handler, active: 0, stopped: false, idle: undefined };
    this.served.set(role, served);
    this.controller ??= this.inner.consume(CONTROLLER_QUEUE, (delivery) => this.drive(delivery), {
      concurrency: Math.max(1, this.options.concurrency),
    });
    return {
      stop: () => {
        served.stopped = true;
        if (this.served.get(role) === served) this.served.delete(role);
        if (served.active === 0) return Promise.resolve();
        return new Promise<void>((resolve) => (served.idle = resolve));
      },
    };
  }

  /** The controller: runs one task's hops back to back until it leaves the roles served here. */
  private async drive(outer: Delivery): Promise<void> {
    const task = outer.task;
    let role: string | undefined = task.cursor;
    this.waiting.set(role, Math.max(0, (this.waiting.get(role) ?? 1) - 1));
    const hold: { next: string | undefined } = { next: undefined };
    this.held.set(task.id, hold);
    let deliveryCount = outer.deliveryCount;
    let publishedAt = outer.publishedAt;
    try {
      while (role !== undefined) {
        const served = this.served.get(role);
        if (served === undefined) {
          // Stopped (the run is ending): leave the task in its role's queue, as a stopped agent would.
          await this.inner.publish(role, task);
          break;
        }
        hold.next = undefined;
        let retryAfter: number | undefined;
        const delivery: Delivery = {
          task,
          deliveryCount,
          publishedAt,
          ack: () => Promise.resolve(),
          nak: (delayMs = 0) => {
            retryAfter = delayMs;
            return Promise.resolve();
          },
          working: () => outer.working(),
        };
        served.active++;
        try {
          await served.handler(delivery);
        } finally {
          served.active--;
          if (served.stopped && served.active === 0) served.idle?.();
        }
        if (retryAfter !== undefined) {
          deliveryCount++;
          if (retryAfter > 0) await new Promise((resolve) => setTimeout(resolve, retryAfter).unref());
          continue;
        }
        deliveryCount = 1;
        publishedAt = Date.now();
        role = hold.next;
      }
    } finally {
      this.held.delete(task.id);
    }
    await outer.ack();
  }

  depth(role: string): number {
    return this.inner.depth(role) + (this.waiting.get(role) ?? 0);
  }

  closeRun(runId: string): Promise<void> {
    return this.inner.closeRun?.(runId) ?? Promise.resolve();
  }

  async close(): Promise<void> {
    await this.controller?.stop();
    await this.inner.close();
  }
}
