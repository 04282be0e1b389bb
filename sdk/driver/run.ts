/**
 * The run handle a cell gets back: an async iterable of events, `rows()` of finished tasks, live
 * `progress()`, `done()` and `cancel()`.
 *
 * Where you are: `driver/`. The handle is the only thing a notebook holds; `notebook/` renders it.
 * Iterators see events from the moment they start; `rows()` replays every finished task first.
 */
import { setMaxListeners } from "node:events";
import type { Logger } from "pino";
import { ConfigError, RunCancelledError } from "../errors.js";
import { rootLogger } from "../logger.js";
import type { RunEvent, RunSummary } from "../schema/event.js";
import type { Task } from "../schema/task.js";
import type { RetryOptions } from "../sink/dead-letters.js";

export interface RunProgress {
  runId: string;
  pipeline: string;
  done: number;
  failed: number;
  filtered: number;
  skipped: number;
  badRows: number;
  /** Tasks fed and not yet finished. */
  inFlight: number;
  /** Rows fed so far, and the total when the source size is known. */
  fed: number;
  total?: number;
  hops: number;
  promptTokens: number;
  completionTokens: number;
  elapsedMs: number;
  rowsPerSecond: number;
  tokensPerSecond: number;
  /** Tasks waiting per role (local bus: exact; NATS: last sampled). */
  queueDepth: Record<string, number>;
  /** NATS workers that do not serve this run right now, and why (by worker id). */
  workerErrors?: Record<string, { reason: string; message: string }>;
  finished: boolean;
}

export type RunListener = (event: RunEvent) => void;

export interface RunControl {
  emit(event: RunEvent): void;
  /** Counters the driver updates in place. */
  progress: RunProgress;
  signal: AbortSignal;
}

export class Run implements AsyncIterable<RunEvent> {
  readonly runId: string;
  readonly pipeline: string;
  private readonly controller = new AbortController();
  private readonly listeners = new Set<RunListener>();
  private readonly finishedTasks: Task[] = [];
  /** Failed tasks by id, until a retry finishes them (kept even without keepResults: they are few). */
  private readonly failedTasks = new Map<string, Task>();
  private readonly waiters = new Set<() => void>();
  private readonly state: RunProgress;
  private readonly completion: Promise<RunSummary>;
  private readonly keepResults: boolean;
  private readonly logger: Logger;
  private result: RunSummary | undefined;
  private failure: unknown;
  /** Updated on demand (e.g. queue depth per role); set by whoever started the run. */
  sampleQueues: () => Record<string, number> = () => ({});
  /** The pipeline's summary metrics so far; set by whoever started the run. */
  sampleMetrics: () => Record<string, unknown> = () => ({});
  /** Where this run's Prometheus metrics are served (`run({ metricsPort })`), once the endpoint is up. */
  metricsUrl: string | undefined = undefined;
  /** The budget limit this run reached (`run({ budget })`), once it has: it stops feeding then. */
  budgetLimit: string | undefined = undefined;
  /** How `retry` re-queues; set by whoever started the run (pipeline/run-pipeline.ts). */
  retryHandler: ((tasks: Task[], options: RetryOptions) => Promise<Run>) | undefined = undefined;

  constructor(
    fields: { runId: string; pipeline: string; keepResults?: boolean; signal?: AbortSignal; logger?: Logger },
    start: (control: RunControl) => Promise<RunSummary>,
  ) {
    this.runId = fields.runId;
    this.pipeline = fields.pipeline;
    this.keepResults = fields.keepResults ?? true;
    this.logger = fields.logger ?? rootLogger();
    // Every in-flight LLM call listens on the run's signal; hundreds at once is expected, not a leak.
    setMaxListeners(0, this.controller.signal);
    if (fields.signal) {
      if (fields.signal.aborted) this.controller.abort();
      else fields.signal.addEventListener("abort", () => this.controller.abort(), { once: true });
    }
    this.state = {
      runId: fields.runId,
      pipeline: fields.pipeline,
      done: 0,
      failed: 0,
      filtered: 0,
      skipped: 0,
      badRows: 0,
      inFlight: 0,
      fed: 0,
      hops: 0,
      promptTokens: 0,
      completionTokens: 0,
      elapsedMs: 0,
      rowsPerSecond: 0,
      tokensPerSecond: 0,
      queueDepth: {},
      workerErrors: {},
      finished: false,
    };
    const startedAt = Date.now();
    const control: RunControl = {
      emit: (event) => this.dispatch(event),
      progress: this.state,
      signal: this.controller.signal,
    };
    this.completion = Promise.resolve()
      .then(() => start(control))
      .then(
        (summary) => {
          this.result = summary;
          return summary;
        },
        (error: unknown) => {
          this.failure = error;
          throw error;
        },
      )
      .finally(() => {
        this.state.finished = true;
        this.state.elapsedMs = Date.now() - startedAt;
        this.wake();
      });
    // A run nobody awaits must not crash the process with an unhandled rejection; done() still rejects.
    this.completion.catch(() => {});
    this.startedAt = startedAt;
  }

  private readonly startedAt: number;

  private dispatch(event: RunEvent): void {
    if (event.type === "task-end") {
      if (this.keepResults) this.finishedTasks.push(event.task);
      if (event.task.status === "failed") this.failedTasks.set(event.task.id, event.task);
      else this.failedTasks.delete(event.task.id);
    }
    if (event.type === "worker-error") {
      // An empty message withdraws the worker's complaint (it now serves the run, or it is gone).
      const errors = (this.state.workerErrors ??= {});
      if (event.message) errors[event.worker] = { reason: event.reason, message: event.message };
      else delete errors[event.worker];
    }
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        // A broken listener (a display cell, a user callback) must not stall or crash the run: it is
        // removed and reported once.
        this.listeners.delete(listener);
        this.logger.error({ err: error, runId: this.runId, event: event.type }, "a run listener threw and was removed");
      }
    }
    this.wake();
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
    this.waiters.clear();
  }

  private waitForChange(): Promise<void> {
    return new Promise((resolve) => this.waiters.add(resolve));
  }

  /** Calls `listener` for every event from now on. Returns the function that unsubscribes. */
  subscribe(listener: RunListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Live counters; cheap to call often (a progress display polls it). */
  progress(): RunProgress {
    const state = this.state;
    if (!state.finished) state.elapsedMs = Date.now() - this.startedAt;
    const seconds = Math.max(state.elapsedMs, 1) / 1000;
    state.rowsPerSecond = (state.done + state.failed + state.filtered) / seconds;
    state.tokensPerSecond = (state.promptTokens + state.completionTokens) / seconds;
    state.queueDepth = this.sampleQueues();
    return { ...state, queueDepth: { ...state.queueDepth }, workerErrors: { ...state.workerErrors } };
  }

  /**
   * The pipeline's summary metrics (`.metric(name, ...)`) over the tasks finished so far, by name; the
   * final values are `done()`'s `summary.metrics`. Empty when the pipeline declares none.
   */
  summaryMetrics(): Record<string, unknown> {
    return this.sampleMetrics();
  }

  /** Finished tasks so far (every status), in finishing order. Empty when `keepResults` is false. */
  results(): readonly Task[] {
    return this.finishedTasks;
  }

  /** This run's dead letters: failed tasks that no retry has finished since. */
  deadLetters(): Task[] {
    return [...this.failedTasks.values()];
  }

  /**
   * Re-queues dead letters (all, or those with `ids`), patched, with their ids kept: into this run
   * while it is still going, otherwise as a new run into the same output directory. Resolves to the run
   * they travel in (await its `done()`).
   * @example
   * const again = await run.retry(["q7"], { patch: { row: { question: "What is 2 + 2?" } } });
   * await again.done();
   */
  async retry(ids?: readonly string[], options: RetryOptions = {}): Promise<Run> {
    if (!this.retryHandler) throw new ConfigError("retry", "this run was not started by run(): it cannot retry");
    const letters = this.deadLetters();
    const chosen = ids === undefined ? letters : ids.map((id) => this.failedTasks.get(id));
    const missing = ids?.filter((_, index) => chosen[index] === undefined) ?? [];
    if (missing.length > 0)
      throw new ConfigError("ids", `not dead letters of run ${this.runId}: ${missing.join(", ")}`);
    return this.retryHandler(chosen as Task[], options);
  }

  /** Resolves to the summary when the run has finished (or was cancelled). */
  done(): Promise<RunSummary> {
    return this.completion;
  }

  get finished(): boolean {
    return this.state.finished;
  }

  get summary(): RunSummary | undefined {
    return this.result;
  }

  /** Stops feeding, lets hops in hand finish, closes files. Resolves to the (partial) summary. */
  cancel(): Promise<RunSummary> {
    this.controller.abort(new RunCancelledError());
    return this.completion;
  }

  /** Finished tasks: those already finished first, then each as it finishes. */
  async *rows(): AsyncGenerator<Task> {
    if (!this.keepResults) {
      throw new ConfigError(
        "keepResults",
        "rows() needs the finished tasks: run with keepResults: true, or use subscribe()",
      );
    }
    let index = 0;
    for (;;) {
      while (index < this.finishedTasks.length) yield this.finishedTasks[index++]!;
      if (this.state.finished) {
        if (this.failure !== undefined) throw this.failure;
        return;
      }
      await this.waitForChange();
    }
  }

  /** Every event from now until the run ends (the last is `run-end`). */
  async *[Symbol.asyncIterator](): AsyncGenerator<RunEvent> {
    const buffer: RunEvent[] = [];
    const unsubscribe = this.subscribe((event) => buffer.push(event));
    try {
      for (;;) {
        while (buffer.length > 0) {
          const event = buffer.shift()!;
          yield event;
          if (event.type === "run-end") return;
        }
        if (this.state.finished) {
          if (this.failure !== undefined) throw this.failure;
          return;
        }
        await this.waitForChange();
      }
    } finally {
      unsubscribe();
    }
  }
}
