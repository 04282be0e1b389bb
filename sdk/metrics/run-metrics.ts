/**
 * RunMetrics: folds a run's events and progress samples into counters, per-role latencies, a time
 * series and token lengths, the raw material for tables, plots, reports and Prometheus text.
 *
 * Where you are: `metrics/`, a leaf (nothing in the SDK imports it except notebook/ and index). It
 * reads the run handle but never changes it. Events are folded as they arrive; queue depth is not an
 * event, so a timer samples `run.progress()` while the run lasts.
 */
import type { Run, RunProgress } from "../driver/run.js";
import type { HopEndEvent, RunEvent } from "../schema/event.js";
import type { Task } from "../schema/task.js";

export interface HopSample {
  role: string;
  queueMs: number;
  handleMs: number;
  tokens: number;
  /** Seconds since the first sample. */
  t: number;
}

export interface TimelinePoint {
  /** Seconds since metrics started. */
  t: number;
  done: number;
  failed: number;
  filtered: number;
  inFlight: number;
  tokens: number;
  rowsPerSecond: number;
  tokensPerSecond: number;
  queueDepth: Record<string, number>;
}

export interface RunMetricsOptions {
  /** How often `attach` samples progress (queue depth, throughput). @default 250 */
  sampleMs?: number;
}

const attached = new WeakMap<Run, RunMetrics>();

export class RunMetrics {
  readonly counts = { done: 0, failed: 0, filtered: 0 };
  readonly hops: HopSample[] = [];
  readonly timeline: TimelinePoint[] = [];
  /** Completion tokens of each finished task, in finishing order. */
  readonly taskTokens: number[] = [];
  readonly tokensByRole: Record<string, { prompt: number; completion: number }> = {};
  private readonly seen = new Set<string>();
  private readonly start: number;
  private last: TimelinePoint | undefined;

  constructor(start: number = Date.now()) {
    this.start = start;
  }

  /**
   * The metrics of `run`, created on first use and shared by every later caller. When attached
   * after the run started, tasks already finished are folded in from their turns (hop latencies
   * then come from turn timings, without queue times).
   */
  static of(run: Run, options: RunMetricsOptions = {}): RunMetrics {
    const existing = attached.get(run);
    if (existing) return existing;
    const metrics = new RunMetrics();
    attached.set(run, metrics);
    for (const task of run.results()) metrics.foldTask(task, true);
    run.subscribe((event) => metrics.fold(event));
    metrics.sample(run.progress());
    if (!run.finished) {
      const timer = setInterval(() => metrics.sample(run.progress()), options.sampleMs ?? 250);
      // A sampling timer must never keep a script alive on its own.
      timer.unref?.();
      void run
        .done()
        .catch(() => {})
        .finally(() => {
          clearInterval(timer);
          metrics.sample(run.progress());
        });
    }
    return metrics;
  }

  /** Seconds since these metrics started. */
  seconds(time: number = Date.now()): number {
    return Math.max(0, (time - this.start) / 1000);
  }

  fold(event: RunEvent): void {
    if (event.type === "hop-end") this.foldHop(event);
    else if (event.type === "task-end") this.foldTask(event.task, false);
  }

  private foldHop(event: HopEndEvent): void {
    this.hops.push({
      role: event.role,
      queueMs: event.queueMs,
      handleMs: event.handleMs,
      tokens: event.promptTokens + event.completionTokens,
      t: this.seconds(event.time),
    });
    const role = (this.tokensByRole[event.role] ??= { prompt: 0, completion: 0 });
    role.prompt += event.promptTokens;
    role.completion += event.completionTokens;
  }

  private foldTask(task: Task, withHops: boolean): void {
    if (this.seen.has(task.id)) return;
    this.seen.add(task.id);
    if (task.status === "done" || task.status === "failed" || task.status === "filtered") this.counts[task.status]++;
    this.taskTokens.push(Object.values(task.usage).reduce((sum, usage) => sum + usage.completionTokens, 0));
    if (!withHops) return;
    for (const turn of task.history) {
      const tokens = (turn.usage?.promptTokens ?? 0) + (turn.usage?.completionTokens ?? 0);
      this.hops.push({
        role: turn.role,
        queueMs: 0,
        handleMs: turn.timing.end - turn.timing.start,
        tokens,
        t: this.seconds(turn.timing.end),
      });
    }
    for (const [role, usage] of Object.entries(task.usage)) {
      const total = (this.tokensByRole[role] ??= { prompt: 0, completion: 0 });
      total.prompt += usage.promptTokens;
      total.completion += usage.completionTokens;
    }
  }

  /** Adds a time-series point from the run's live counters; rates are over the last interval. */
  sample(progress: RunProgress, time: number = Date.now()): TimelinePoint {
    const t = this.seconds(time);
    const finished = progress.done + progress.failed + progress.filtered;
    const tokens = progress.promptTokens + progress.completionTokens;
    const last = this.last;
    const interval = last ? t - last.t : 0;
    const point: TimelinePoint = {
      t,
      done: progress.done,
      failed: progress.failed,
      filtered: progress.filtered,
      inFlight: progress.inFlight,
      tokens,
      rowsPerSecond:
        last && interval > 0
          ? (finished - (last.done + last.failed + last.filtered)) / interval
          : progress.rowsPerSecond,
      tokensPerSecond: last && interval > 0 ? (tokens - last.tokens) / interval : progress.tokensPerSecond,
      queueDepth: { ...progress.queueDepth },
    };
    this.timeline.push(point);
    this.last = point;
    return point;
  }
}
