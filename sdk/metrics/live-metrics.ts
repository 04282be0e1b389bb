/**
 * LiveMetrics: the Prometheus families of one process (a worker) or one run (a driver), in a private
 * prom-client registry, kept current while the run goes and served on `GET /metrics`.
 *
 * Where you are: `metrics/`. Three feeds, chosen so the hot path pays almost nothing:
 * - agents: an `AgentMeter` per (run, role) counts deliveries and fills pre-bucketed histograms with
 *   the waits the loop measures anyway, in plain numbers (bucketed-histogram.ts explains why);
 * - the driver: counters read from the run's own progress at scrape time, histograms from `task-end`
 *   (once per task, not per hop);
 * - the LLM layer: a wrapping client per run (metered-llm.ts) and the pool's per-endpoint stats read
 *   at scrape time.
 * Counters fed from those numbers are rebuilt in prom-client's `collect` hook before every scrape.
 * Process metrics (CPU, memory, event-loop lag, GC) live in the process registry (process-metrics.ts)
 * and are served beside these. Never prom-client's global registry: two runs in one notebook, or a
 * worker and a driver in one test process, must not collide.
 */
import { Counter, Gauge, Registry } from "prom-client";
import type { AgentMeter, DeliveryOutcome } from "../agent/agent-meter.js";
import type { Run } from "../driver/run.js";
import type { LlmClient } from "../llm/llm-client.js";
import type { LlmPoolStats } from "../llm/llm-pool.js";
import type { HopEndEvent } from "../schema/event.js";
import type { Task } from "../schema/task.js";
import { BucketedHistogram, type HistogramSeries } from "./bucketed-histogram.js";
import { MeteredLlm, type LlmFamilies } from "./metered-llm.js";
import { processRegistry } from "./process-metrics.js";
import { TalliedCounter } from "./tallied-counter.js";

/** Seconds buckets for hop handling and queue waits: a no-op hop is microseconds, an LLM hop seconds. */
export const HOP_SECONDS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
/** Seconds buckets for LLM calls and whole tasks. */
export const LONG_SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120, 300, 600];
/** Bytes buckets for a serialized task; NATS refuses messages over 1 MiB. */
export const TASK_BYTES = [512, 2048, 8192, 16384, 65536, 262144, 524288, 786432, 1048576];

type RunRole = "run" | "role";

/** The delivery counters of one role of one run in this process: the AgentMeter the loop calls. */
class RoleSeries implements AgentMeter {
  received_ = 0;
  active = 0;
  ok = 0;
  failed = 0;
  retried = 0;
  unpublished = 0;
  private size: HistogramSeries | undefined;
  constructor(
    readonly labels: Record<RunRole, string>,
    readonly handle: HistogramSeries,
    readonly dequeue: HistogramSeries,
    private readonly sizes: () => HistogramSeries,
  ) {}
  received(): void {
    this.received_++;
    this.active++;
  }
  settled(outcome: DeliveryOutcome, queueMs?: number, handleMs?: number, bytes?: number): void {
    this.active--;
    switch (outcome) {
      case "ok":
        this.ok++;
        break;
      case "failed":
        this.failed++;
        break;
      case "retried":
        this.retried++;
        return;
      case "unpublished":
        this.unpublished++;
        return;
    }
    if (queueMs !== undefined) this.dequeue.observe(queueMs / 1000);
    if (handleMs !== undefined) this.handle.observe(handleMs / 1000);
    if (bytes !== undefined) (this.size ??= this.sizes()).observe(bytes);
  }
}

/** What the driver of a run contributes: its progress, finished-task counts and queue depths. */
interface RunSeries {
  run: Run;
  pipeline: string;
  finished: { done: number; failed: number; filtered: number };
  tokens: Map<string, { prompt: number; completion: number }>;
  unsubscribe: () => void;
}

export interface LiveMetricsOptions {
  /** Labels on every series of this registry (e.g. `{ worker: "w1" }`). @default none */
  labels?: Record<string, string>;
}

export class LiveMetrics {
  readonly registry: Registry;
  private readonly roles = new Map<string, RoleSeries>();
  private readonly runs = new Map<string, RunSeries>();
  /** Queue depth per role, per run (the driver's view; workers report the roles they serve). */
  private readonly depthSources = new Map<string, () => Promise<Record<string, number>> | Record<string, number>>();
  /** The roles each run's depth source last answered for (what reads 0 once the run is over). */
  private readonly depthRoles = new Map<string, string[]>();
  /** Pools whose endpoint counters are exported, with the runs using them (`*`: kept until close). */
  private readonly pools = new Map<{ stats(): LlmPoolStats }, Set<string>>();
  private readonly llm: LlmFamilies;
  private readonly handle: BucketedHistogram<RunRole>;
  private readonly dequeue: BucketedHistogram<RunRole>;
  private readonly taskBytes: BucketedHistogram<RunRole>;
  private readonly e2e: BucketedHistogram<"run" | "status">;
  private readonly forgetTimers = new Set<NodeJS.Timeout>();

  constructor(options: LiveMetricsOptions = {}) {
    const registry = (this.registry = new Registry());
    if (options.labels) registry.setDefaultLabels(options.labels);
    const registers = [registry];
    const roles = () => this.roles.values();
    const runs = () => this.runs.entries();

    const roleCounter = (name: string, help: string, value: (series: RoleSeries) => number) =>
      new Counter({
        name,
        help,
        labelNames: ["run", "role"],
        registers,
        collect() {
          this.reset();
          for (const series of roles()) this.inc(series.labels, value(series));
        },
      });
    roleCounter("matrix_messages_received_total", "Deliveries handed to this process's agents", (s) => s.received_);
    roleCounter("matrix_messages_processed_total", "Hops finished and acked", (s) => s.ok + s.failed);
    new Counter({
      name: "matrix_task_exceptions_total",
      help: "Handler or flow failures: retried (the delivery is given back) or failed (the task is dead-lettered)",
      labelNames: ["run", "role", "outcome"],
      registers,
      collect() {
        this.reset();
        for (const series of roles()) {
          this.inc({ ...series.labels, outcome: "retried" }, series.retried);
          this.inc({ ...series.labels, outcome: "failed" }, series.failed);
          this.inc({ ...series.labels, outcome: "unpublished" }, series.unpublished);
        }
      },
    });
    new Gauge({
      name: "matrix_agent_in_flight",
      help: "Deliveries this process's agents hold now",
      labelNames: ["run", "role"],
      registers,
      collect() {
        this.reset();
        for (const series of roles()) this.set(series.labels, series.active);
      },
    });
    const depthSources = this.depthSources;
    const depthRoles = this.depthRoles;
    new Gauge({
      name: "matrix_queue_depth",
      help: "Tasks waiting in a role's queue (shared by every instance: aggregate with max)",
      labelNames: ["run", "role"],
      registers,
      async collect() {
        this.reset();
        for (const [run, source] of depthSources) {
          const depths = await Promise.resolve(source()).catch(() => undefined);
          if (depths === undefined) continue;
          depthRoles.set(run, Object.keys(depths));
          for (const [role, depth] of Object.entries(depths)) this.set({ run, role }, depth);
        }
      },
    });
    this.handle = new BucketedHistogram({
      name: "matrix_hop_handle_seconds",
      help: "Time a role's handler ran per hop",
      labelNames: ["run", "role"],
      buckets: HOP_SECONDS,
      registers,
    });
    this.dequeue = new BucketedHistogram({
      name: "matrix_hop_dequeue_seconds",
      help: "Time a task waited in a role's queue before an agent took it",
      labelNames: ["run", "role"],
      buckets: HOP_SECONDS,
      registers,
    });
    this.taskBytes = new BucketedHistogram({
      name: "matrix_task_size_bytes",
      help: "Serialized size of a task as published to a role's queue (NATS bus; traced hops on the local bus)",
      labelNames: ["run", "role"],
      buckets: TASK_BYTES,
      registers,
    });

    // The driver's families.
    const runCounter = (name: string, help: string, value: (series: RunSeries) => number) =>
      new Counter({
        name,
        help,
        labelNames: ["run"],
        registers,
        collect() {
          this.reset();
          for (const [run, series] of runs()) this.inc({ run }, value(series));
        },
      });
    runCounter("matrix_tasks_started_total", "Tasks fed into the run (first attempts)", (s) => s.run.progress().fed);
    runCounter(
      "matrix_tasks_skipped_total",
      "Ids skipped because an earlier run finished them",
      (s) => s.run.progress().skipped,
    );
    runCounter(
      "matrix_source_bad_rows_total",
      "Source rows that could not be read (dead-lettered)",
      (s) => s.run.progress().badRows,
    );
    new Counter({
      name: "matrix_tasks_finished_total",
      help: "Tasks that reached the sink, by status (done = completed; failed = dead-lettered)",
      labelNames: ["run", "status"],
      registers,
      collect() {
        this.reset();
        for (const [run, series] of runs())
          for (const [status, count] of Object.entries(series.finished)) this.inc({ run, status }, count);
      },
    });
    new Gauge({
      name: "matrix_tasks_in_flight",
      help: "Tasks fed and not yet finished",
      labelNames: ["run"],
      registers,
      collect() {
        this.reset();
        for (const [run, series] of runs()) this.set({ run }, series.run.progress().inFlight);
      },
    });
    new Counter({
      name: "matrix_tokens_total",
      help: "Tokens of finished tasks by role (kind: prompt = in, completion = out)",
      labelNames: ["run", "role", "kind"],
      registers,
      collect() {
        this.reset();
        for (const [run, series] of runs())
          for (const [role, tokens] of series.tokens) {
            this.inc({ run, role, kind: "prompt" }, tokens.prompt);
            this.inc({ run, role, kind: "completion" }, tokens.completion);
          }
      },
    });
    new Gauge({
      name: "matrix_run_info",
      help: "1 for every run this process drives; labels name its pipeline",
      labelNames: ["run", "pipeline"],
      registers,
      collect() {
        this.reset();
        for (const [run, series] of runs()) this.set({ run, pipeline: series.pipeline }, 1);
      },
    });
    this.e2e = new BucketedHistogram({
      name: "matrix_task_e2e_seconds",
      help: "Time from a task's creation to its arrival at the sink",
      labelNames: ["run", "status"],
      buckets: LONG_SECONDS,
      registers,
    });

    // LLM families: per call (metered-llm.ts), and per endpoint from the pool's own counters.
    const llmLabels = ["run", "role", "model", "endpoint"] as const;
    this.llm = {
      requests: new TalliedCounter({
        name: "matrix_llm_requests_total",
        help: "LLM calls by outcome (ok, cached, or the error of a call that failed after its retries)",
        labelNames: [...llmLabels, "outcome"],
        registers,
      }),
      seconds: new BucketedHistogram({
        name: "matrix_llm_request_seconds",
        help: "LLM call latency as the agent saw it (retries included)",
        labelNames: [...llmLabels],
        buckets: LONG_SECONDS,
        registers,
      }),
      ttft: new BucketedHistogram({
        name: "matrix_llm_ttft_seconds",
        help: "Time to first token of streamed LLM calls",
        labelNames: [...llmLabels],
        buckets: LONG_SECONDS,
        registers,
      }),
      tokens: new TalliedCounter({
        name: "matrix_llm_tokens_total",
        help: "LLM tokens by kind (prompt = in, completion = out)",
        labelNames: [...llmLabels, "kind"],
        registers,
      }),
      retries: new TalliedCounter({
        name: "matrix_llm_retries_total",
        help: "Extra attempts LLM calls needed",
        labelNames: [...llmLabels],
        registers,
      }),
    };
    const pools = () => this.pools.keys();
    const endpointFamily = (
      name: string,
      help: string,
      kind: "counter" | "gauge",
      rows: (stats: LlmPoolStats) => Array<[Record<string, string>, number]>,
      extraLabels: string[] = [],
    ) => {
      const config = {
        name,
        help,
        labelNames: ["endpoint", ...extraLabels],
        registers,
      };
      if (kind === "counter")
        new Counter({
          ...config,
          collect() {
            this.reset();
            for (const pool of pools()) for (const [labels, value] of rows(pool.stats())) this.inc(labels, value);
          },
        });
      else
        new Gauge({
          ...config,
          collect() {
            this.reset();
            for (const pool of pools()) for (const [labels, value] of rows(pool.stats())) this.set(labels, value);
          },
        });
    };
    endpointFamily("matrix_llm_endpoint_requests_total", "HTTP attempts per endpoint", "counter", (stats) =>
      stats.endpoints.map((e) => [{ endpoint: e.endpoint }, e.requests]),
    );
    endpointFamily(
      "matrix_llm_endpoint_retries_total",
      "Attempts that retried an earlier failure",
      "counter",
      (stats) => stats.endpoints.map((e) => [{ endpoint: e.endpoint }, e.retries]),
    );
    endpointFamily(
      "matrix_llm_endpoint_errors_total",
      "Failed attempts per endpoint by kind (HTTP status, timeout, connection, malformed)",
      "counter",
      (stats) =>
        stats.endpoints.flatMap((e) =>
          Object.entries(e.errorsByKind).map(([kind, count]): [Record<string, string>, number] => [
            { endpoint: e.endpoint, kind },
            count,
          ]),
        ),
      ["kind"],
    );
    endpointFamily(
      "matrix_llm_endpoint_outstanding",
      "Requests chosen for an endpoint and not finished",
      "gauge",
      (stats) => stats.endpoints.map((e) => [{ endpoint: e.endpoint }, e.outstanding]),
    );
    endpointFamily(
      "matrix_llm_endpoint_up",
      "1 while the endpoint's circuit is closed, 0 when taken out",
      "gauge",
      (stats) => stats.endpoints.map((e) => [{ endpoint: e.endpoint }, e.state === "closed" ? 1 : 0]),
    );
  }

  /** The meter an agent of `role` in `run` reports its deliveries to (one per role and run). */
  agentMeter(run: string, role: string): AgentMeter {
    return this.roleSeries(run, role);
  }

  private roleSeries(run: string, role: string): RoleSeries {
    const key = `${run}\u0000${role}`;
    let series = this.roles.get(key);
    if (series === undefined) {
      const labels = { run, role };
      series = new RoleSeries(labels, this.handle.series(labels), this.dequeue.series(labels), () =>
        this.taskBytes.series(labels),
      );
      this.roles.set(key, series);
    }
    return series;
  }

  /** Where `matrix_queue_depth` of `run` comes from (the driver: every role; a worker: those it serves). */
  queueDepths(run: string, source: () => Promise<Record<string, number>> | Record<string, number>): void {
    this.depthSources.set(run, source);
  }

  /** The driver side of `run`: progress counters, finished tasks, end-to-end latency, tokens by role. */
  attachRun(run: Run): void {
    if (this.runs.has(run.runId)) return;
    const series: RunSeries = {
      run,
      pipeline: run.pipeline,
      finished: { done: 0, failed: 0, filtered: 0 },
      tokens: new Map(),
      unsubscribe: () => {},
    };
    const e2e = {
      done: this.e2e.series({ run: run.runId, status: "done" }),
      failed: this.e2e.series({ run: run.runId, status: "failed" }),
      filtered: this.e2e.series({ run: run.runId, status: "filtered" }),
    };
    series.unsubscribe = run.subscribe((event) => {
      if (event.type !== "task-end") return;
      this.finishedTask(series, e2e, event.task);
    });
    this.runs.set(run.runId, series);
    if (!this.depthSources.has(run.runId)) this.queueDepths(run.runId, () => run.progress().queueDepth);
  }

  private finishedTask(series: RunSeries, e2e: Record<string, HistogramSeries>, task: Task): void {
    const status = task.status === "running" ? "failed" : task.status;
    series.finished[status]++;
    e2e[status]!.observe(((task.timestamps.finished ?? Date.now()) - task.timestamps.created) / 1000);
    for (const [role, usage] of Object.entries(task.usage)) {
      let tokens = series.tokens.get(role);
      if (tokens === undefined) series.tokens.set(role, (tokens = { prompt: 0, completion: 0 }));
      tokens.prompt += usage.promptTokens;
      tokens.completion += usage.completionTokens;
    }
  }

  /** `client` as agents of `run` should use it: every call is counted by role, model and endpoint. */
  llmClient(run: string, client: LlmClient): LlmClient {
    this.watchPool(client, run);
    return new MeteredLlm(client, run, this.llm);
  }

  /**
   * Exports a pool's per-endpoint counters (attempts, errors, retries, outstanding, up), until the
   * last run using it is forgotten (without `run`: until close).
   */
  watchPool(client: unknown, run = "*"): void {
    if (typeof (client as { stats?: unknown })?.stats !== "function") return;
    const pool = client as { stats(): LlmPoolStats };
    const users = this.pools.get(pool) ?? new Set<string>();
    users.add(run);
    this.pools.set(pool, users);
  }

  /**
   * Forgets `run`'s series after `afterMs` (a long-lived worker must not grow forever; the delay lets
   * Prometheus scrape the final values first).
   */
  forgetRun(run: string, afterMs = 300_000): void {
    // The run is over: nothing waits in its queues any more (they may be gone from the bus already, so
    // asking would fail and the series would vanish mid-graph). Its roles read 0 until forgotten.
    const source = this.depthSources.get(run);
    if (source) {
      const roles = this.depthRoles.get(run) ?? [];
      this.depthSources.set(run, () => Object.fromEntries(roles.map((role) => [role, 0])));
    }
    const forget = () => {
      this.runs.get(run)?.unsubscribe();
      this.runs.delete(run);
      this.depthSources.delete(run);
      this.depthRoles.delete(run);
      for (const [key, series] of this.roles) if (series.labels.run === run) this.roles.delete(key);
      for (const histogram of [this.handle, this.dequeue, this.taskBytes]) histogram.forget({ run });
      this.e2e.forget({ run });
      for (const family of Object.values(this.llm)) family.forget({ run });
      for (const [pool, users] of this.pools) if (users.delete(run) && users.size === 0) this.pools.delete(pool);
    };
    if (afterMs <= 0) return forget();
    const timer = setTimeout(() => {
      this.forgetTimers.delete(timer);
      forget();
    }, afterMs);
    timer.unref();
    this.forgetTimers.add(timer);
  }

  /** This registry's text followed by the process metrics: what `GET /metrics` answers. */
  async text(): Promise<string> {
    return `${await this.registry.metrics()}\n${await processRegistry().metrics()}`;
  }

  /** Family names this registry and the process registry export (the dashboard test checks against these). */
  names(): string[] {
    return [...this.registry.getMetricsAsArray(), ...processRegistry().getMetricsAsArray()].map((m) => m.name);
  }

  /** Stops timers and listeners. Safe to call twice. */
  close(): void {
    for (const timer of this.forgetTimers) clearTimeout(timer);
    this.forgetTimers.clear();
    for (const series of this.runs.values()) series.unsubscribe();
  }
}

let shared: LiveMetrics | undefined;

/** The LiveMetrics of this process's runs (what `run({ metricsPort })` fills and serves). */
export function processLiveMetrics(): LiveMetrics {
  shared ??= new LiveMetrics();
  return shared;
}
