/**
 * The driver: feeds source rows into the bus with a bound on tasks in flight, skips ids already
 * finished (resume), and consumes the sink queue, writing each finished task exactly once.
 *
 * Where you are: `driver/`. It knows nothing of roles beyond the entry role; agents may run in this
 * process (local bus) or on other machines (NATS). Cancel stops feeding; tasks in flight are not
 * written, and a resumed run produces them again. On NATS a driver may also adopt a run whose driver
 * died (`adopt`: what was fed is not fed again, and the run ends when its queues are empty), record
 * its feed progress durably (`checkpoint`), or only feed and leave (`feedOnly`, a detached run).
 */
import type { Logger } from "pino";
import type { Bus } from "../bus/bus.js";
import { MatrixError, serializeError, SourceError, SourceRowError } from "../errors.js";
import type { RunSummary } from "../schema/event.js";
import { SINK, type Task } from "../schema/task.js";
import type { JsonlSink } from "../sink/jsonl-sink.js";
import type { RunControl } from "./run.js";
import { PublishWindow } from "./publish-window.js";
import { Slots } from "./slots.js";
import { openSource, type RuntimeSource } from "./source.js";
import { createTask, rowIdOf, taskId } from "./task-factory.js";

export interface DriveOptions {
  bus: Bus;
  runId: string;
  pipeline: string;
  entry: string;
  source: RuntimeSource;
  /** Read at most this many source rows. */
  limit?: number;
  trials: number;
  seed: number;
  idField: string;
  maxInFlight: number;
  /** Where finished tasks go; without one they are only streamed to the run handle. */
  sink?: JsonlSink;
  resume: boolean;
  logger?: Logger;
  /** Concurrency of the sink consumer. @default 64 */
  sinkConcurrency?: number;
  /** Prepared tasks to feed, each to its own cursor, instead of reading the source (a retry, a fork). */
  tasks?: readonly Task[];
  /** Filled while the run is live: how dead letters are re-queued into it (`run.retry`). */
  live?: LiveFeed;
  /** Aborted to stop feeding while the tasks in flight finish (a budget reached). */
  stopFeeding?: AbortSignal;
  /** Continue a run another driver started and fed (part of). */
  adopt?: AdoptedFeed;
  /**
   * Records how far feeding got, durably (the NATS lease): called between source items at most every
   * `checkpointMs` (the next publish waits for it), and once with `done` when every item was fed.
   */
  checkpoint?: (feed: { position: number; done: boolean }) => Promise<void>;
  /** @default 500 */
  checkpointMs?: number;
  /** Only feed, and do not consume the sink: a detached run, collected later (`matrix attach`). */
  feedOnly?: boolean;
  /** Which LLM the run's agents use, for the run-start event. */
  llm?: string;
}

/** What the driver of an adopted run knows of what its earlier driver fed. */
export interface AdoptedFeed {
  /** Every source item before this one was fed. */
  position: number;
  /** Ids of tasks already queued (fed after the earlier driver's last checkpoint). */
  queued: ReadonlySet<string>;
  /** True once the run's queues are empty: every task, adopted ones included, reached the sink and was acked. */
  drained: () => Promise<boolean>;
}

/** Put prepared tasks (retried dead letters, same ids) into a live run. */
export interface LiveFeed {
  requeue?: (tasks: readonly Task[]) => Promise<void>;
}

/** The summary, and the source's own failure when it broke mid-run (the summary says so too). */
export interface DriveResult {
  summary: RunSummary;
  error?: unknown;
}

/** Polls until the adopted run's queues are empty (its earlier driver's tasks have all been collected). */
async function untilDrained(adopt: AdoptedFeed, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    if (await adopt.drained().catch(() => false)) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, 250);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

export async function drive(options: DriveOptions, control: RunControl): Promise<DriveResult> {
  const { bus, sink, progress } = { ...options, progress: control.progress };
  const started = Date.now();
  const byRole: Record<string, { prompt: number; completion: number }> = {};
  const skipIds = options.resume && sink ? await sink.finishedIds() : new Set<string>();
  // Adopting, a dead-lettered task is finished too: the earlier driver wrote it, and it is not redone.
  if (options.adopt && sink) for (const id of sink.failedIds()) skipIds.add(id);
  control.emit({
    type: "run-start",
    runId: options.runId,
    time: started,
    resumedIds: skipIds.size,
    ...(options.llm ? { llm: options.llm } : {}),
  });

  const slots = new Slots(options.maxInFlight, progress);
  let feedingDone = false;
  let settle!: () => void;
  const allFinished = new Promise<void>((resolve) => (settle = resolve));
  let ended = false;
  const checkFinished = (): void => {
    if (feedingDone && progress.inFlight === 0) {
      ended = true;
      settle();
    }
  };
  /** Ids that reached the sink, with their `retries` then: a re-queued dead letter arrives again, one higher. */
  const seen = new Map<string, number>();
  /** Tasks this driver fed (or re-queued) that have not reached the sink: each holds an in-flight slot. */
  const outstanding = new Set<string>();
  /** Gives the task's slot back once (adopted tasks, fed by an earlier driver, and a detached run's hold none). */
  const freeSlot = (id: string): void => {
    if (outstanding.delete(id) && !options.feedOnly) slots.release();
  };

  const consumeSink = () =>
    bus.consume(
      SINK,
      async (delivery) => {
        const task = delivery.task;
        // The in-flight count and events follow the first delivery only; a redelivered duplicate is
        // acked and dropped (the sink also dedupes against earlier runs' files).
        const before = seen.get(task.id);
        let first = before === undefined || (task.retries ?? 0) > before;
        if (first) seen.set(task.id, task.retries ?? 0);
        if (first) {
          task.timestamps.finished ??= Date.now();
          try {
            // Already in the file (an earlier driver wrote it and died before acking): not counted again.
            if (sink) first = await sink.write(task);
          } catch (error) {
            if (before === undefined) seen.delete(task.id);
            else seen.set(task.id, before);
            options.logger?.error({ taskId: task.id, err: error }, "writing a finished task failed; retrying");
            await delivery.nak(500);
            return;
          }
        }
        await delivery.ack();
        if (first) {
          // A re-queued dead letter was counted as failed the first time; its new outcome replaces that.
          if (before !== undefined) progress.failed--;
          if (task.status === "done") progress.done++;
          else if (task.status === "failed") progress.failed++;
          else progress.filtered++;
          for (const [role, usage] of Object.entries(task.usage)) {
            const totals = (byRole[role] ??= { prompt: 0, completion: 0 });
            totals.prompt += usage.promptTokens;
            totals.completion += usage.completionTokens;
            progress.promptTokens += usage.promptTokens;
            progress.completionTokens += usage.completionTokens;
          }
          progress.hops += task.hops;
          control.emit({ type: "task-end", task, time: Date.now() });
        }
        // Not counted again when already written (a resumed run feeds its dead letters again, and one
        // that fails the same way is in the file), but it holds no slot any more either way.
        freeSlot(task.id);
        checkFinished();
      },
      { concurrency: options.sinkConcurrency ?? 64, runId: options.runId },
    );
  const sinkConsumer = options.feedOnly ? undefined : consumeSink();

  options.stopFeeding?.addEventListener("abort", () => slots.drainWaiters(), { once: true });
  const stopped = () => control.signal.aborted || options.stopFeeding?.aborted === true;
  const aborted = new Promise<void>((resolve) => {
    if (control.signal.aborted) resolve();
    control.signal.addEventListener("abort", () => {
      slots.drainWaiters();
      resolve();
    });
  });

  // 256: more than one refill of the slots, few enough to be retrying at once while a server is away.
  const publishes = new PublishWindow(256);
  /** A task that was never queued never reaches the sink: it must not hold a slot the run waits on. */
  const unqueued = (task: Task, error: unknown): never => {
    freeSlot(task.id);
    throw error;
  };
  /** Counted as fed when its publish starts (a failure seen first starts none). */
  const publishFed = (cursor: string, task: Task): Promise<void> => {
    outstanding.add(task.id);
    return publishes
      .send(() => {
        // Stopped while it waited for room in the window: it never goes out.
        if (stopped()) return Promise.resolve(freeSlot(task.id));
        progress.fed++;
        return bus.publish(cursor, task).catch((error: unknown) => unqueued(task, error));
      })
      .catch((error: unknown) => unqueued(task, error));
  };
  /** Takes a slot for the next task (none for a detached run); false when feeding stops. Throws a publish's failure. */
  const admit = async (): Promise<boolean> => {
    const wait = options.feedOnly ? undefined : slots.acquire();
    if (wait) await wait;
    if (!stopped() && !publishes.failed) return true;
    if (!options.feedOnly) slots.release();
    publishes.throwIfFailed();
    return false;
  };
  let rows = 0;
  const feedTasks = async (tasks: readonly Task[]): Promise<void> => {
    for (const prepared of tasks) {
      if (skipIds.has(prepared.id)) {
        progress.skipped++;
        continue;
      }
      if (!(await admit())) return;
      await publishFed(prepared.cursor, { ...prepared, runId: options.runId });
    }
  };
  if (options.live) {
    // Retries join the run's in-flight count without waiting for a slot: a handful over the bound
    // is better than a retry stuck behind the feed.
    options.live.requeue = async (tasks) => {
      if (ended || control.signal.aborted)
        throw new MatrixError("run-finished", `run ${options.runId} has finished; retry from its output directory`);
      for (const prepared of tasks) {
        progress.inFlight++;
        outstanding.add(prepared.id);
        try {
          await bus.publish(prepared.cursor, { ...prepared, runId: options.runId });
        } catch (error) {
          progress.inFlight--;
          outstanding.delete(prepared.id);
          checkFinished();
          throw error;
        }
      }
    };
  }
  const adoptedUpTo = options.adopt?.position ?? 0;
  const checkpointMs = options.checkpointMs ?? 500;
  let lastCheckpoint = Date.now();
  let position = 0;
  const feed = async (): Promise<void> => {
    if (options.tasks) return feedTasks(options.tasks);
    // Ids fed in this run: a second row with the same id would never finish (the sink keeps one
    // task per id), so it is dead-lettered as a bad row instead.
    const fedIds = new Map<string, string>();
    for await (let item of openSource(options.source)) {
      const ordinal = position++;
      if (stopped()) break;
      // Between items, once the publishes started have been acked, every trial of the items before
      // was published: a consistent point to record.
      if (options.checkpoint && Date.now() - lastCheckpoint >= checkpointMs) {
        await publishes.published();
        if (stopped()) break;
        await options.checkpoint({ position: ordinal, done: false });
        lastCheckpoint = Date.now();
      }
      if (ordinal < adoptedUpTo) {
        // Fed by the earlier driver (a bad row was dead-lettered by it): keep the counts, feed nothing.
        if (item.kind === "error") continue;
        const rowId = rowIdOf(item.row, item.index, options.idField);
        if (fedIds.has(rowId)) continue;
        if (options.limit !== undefined && rows >= options.limit) break;
        fedIds.set(rowId, item.line !== undefined ? `line ${item.line}` : `row ${item.index}`);
        rows++;
        continue;
      }
      if (item.kind === "row") {
        const rowId = rowIdOf(item.row, item.index, options.idField);
        const firstAt = fedIds.get(rowId);
        if (firstAt !== undefined) {
          const message = `duplicate id '${rowId}' (first seen at ${firstAt}); ids must be unique: fix the data or set options.idField`;
          item = {
            kind: "error",
            error: new SourceRowError(message, { file: item.file, line: item.line, rowId }),
            raw: JSON.stringify(item.row),
          };
        } else {
          fedIds.set(rowId, item.line !== undefined ? `line ${item.line}` : `row ${item.index}`);
        }
      }
      if (item.kind === "error") {
        progress.badRows++;
        options.logger?.warn({ err: item.error }, "unreadable source row dead-lettered");
        control.emit({
          type: "source-error",
          message: item.error.message,
          file: item.error.file,
          line: item.error.line,
          time: Date.now(),
        });
        await sink?.writeBadRow({
          kind: "bad-row",
          error: serializeError(item.error),
          raw: item.raw,
          time: Date.now(),
        });
        continue;
      }
      if (options.limit !== undefined && rows >= options.limit) break;
      rows++;
      const rowId = rowIdOf(item.row, item.index, options.idField);
      for (let trial = 0; trial < options.trials; trial++) {
        const id = taskId(rowId, trial, options.trials);
        if (skipIds.has(id)) {
          progress.skipped++;
          continue;
        }
        // Queued by the earlier driver after its last checkpoint: on its way to the sink already.
        if (options.adopt?.queued.has(id)) continue;
        // A detached run holds no slots: nothing here sees its tasks finish; the stream is the buffer.
        if (!(await admit())) return;
        const task: Task = createTask({
          runId: options.runId,
          rowId,
          row: item.row,
          trial,
          trials: options.trials,
          seed: options.seed,
          cursor: options.entry,
        });
        await publishFed(options.entry, task);
      }
    }
    if (stopped()) return;
    await publishes.published();
    await options.checkpoint?.({ position, done: true });
  };

  let feedError: unknown;
  // On cancel the race settles first and feeding may still be inside a publish; its error must land
  // here, never as an unhandled rejection.
  const feedAll = async (): Promise<void> => {
    try {
      await feed();
    } finally {
      // On every path out (a source error too) nothing is left publishing once feeding is over.
      await publishes.idle();
    }
    publishes.throwIfFailed();
  };
  const feeding = feedAll().catch((error: unknown) => {
    if (!control.signal.aborted) feedError = error;
  });
  await Promise.race([feeding, aborted]);
  feedingDone = true;
  checkFinished();
  if (sinkConsumer) {
    // Even when the source broke, the tasks already fed finish and are written: they are paid for.
    await Promise.race([allFinished, aborted]);
    if (options.adopt) await untilDrained(options.adopt, control.signal);
    await sinkConsumer.stop();
  }
  if (options.live) delete options.live.requeue;
  await sink?.close();

  const durationMs = Date.now() - started;
  const finished = progress.done + progress.failed + progress.filtered;
  const summary: RunSummary = {
    runId: options.runId,
    pipeline: options.pipeline,
    counts: { done: progress.done, failed: progress.failed, filtered: progress.filtered },
    skipped: progress.skipped,
    badRows: progress.badRows,
    hops: progress.hops,
    tokens: { prompt: progress.promptTokens, completion: progress.completionTokens, byRole },
    durationMs,
    rowsPerSecond: finished / Math.max(durationMs / 1000, 0.001),
    tokensPerSecond: (progress.promptTokens + progress.completionTokens) / Math.max(durationMs / 1000, 0.001),
    cancelled: control.signal.aborted,
    ...(sink ? { totals: { ...sink.counts }, files: { ...sink.files } } : {}),
  };
  if (feedError !== undefined) {
    const error = MatrixError.isInstance(feedError)
      ? feedError
      : new SourceError((feedError as Error)?.message ?? String(feedError), rows, { cause: feedError });
    summary.error = serializeError(error);
    return { summary, error };
  }
  return { summary };
}
