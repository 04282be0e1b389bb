/**
 * Run events: a discriminated union with noun-action names (style-anchors §6.10).
 *
 * Where you are: `schema/`. Agents and the sink emit these; the run handle streams them to the
 * caller and `metrics/` folds them into counters and tables. Keep them small: `hop-end` fires on
 * every hop.
 */
import type { Task } from "./task.js";

export const EventType = {
  runStart: "run-start",
  hopEnd: "hop-end",
  taskEnd: "task-end",
  sourceError: "source-error",
  workerError: "worker-error",
  runEnd: "run-end",
} as const;

export interface RunStartEvent {
  type: "run-start";
  runId: string;
  time: number;
  resumedIds: number;
  /** Which LLM the run's agents use (on NATS: what every worker was told to use). */
  llm?: string;
}
export interface HopEndEvent {
  type: "hop-end";
  taskId: string;
  role: string;
  /** Time the task waited in the role's queue. */
  queueMs: number;
  /** Time the handler ran. */
  handleMs: number;
  promptTokens: number;
  completionTokens: number;
  /** The model that made this hop's tokens, when it called one (budgets price tokens by model). */
  model?: string;
  /** The task's size as it arrived, where the bus serializes tasks (NATS) or the run traces. */
  bytes?: number;
  next: string;
  time: number;
}
export interface TaskEndEvent {
  type: "task-end";
  task: Task;
  time: number;
}
export interface SourceErrorEvent {
  type: "source-error";
  message: string;
  file?: string;
  line?: number;
  time: number;
}
/** A NATS worker does not serve the run, and says why (an LLM it cannot reach, a signature it refuses). */
export interface WorkerErrorEvent {
  type: "worker-error";
  worker: string;
  /** `llm`, `unsigned`, `untrusted-key`, `bad-signature` or `invalid-run`. */
  reason: string;
  message: string;
  time: number;
}
export interface RunEndEvent {
  type: "run-end";
  summary: RunSummary;
  time: number;
}
export type RunEvent = RunStartEvent | HopEndEvent | TaskEndEvent | SourceErrorEvent | WorkerErrorEvent | RunEndEvent;

/** What `run.done()` resolves to; also written as `summary.json`. */
export interface RunSummary {
  runId: string;
  pipeline: string;
  outDir?: string;
  /** Tasks finished in this run, by status. */
  counts: { done: number; failed: number; filtered: number };
  /** Rows in the output directory now, earlier runs of a resume included (absent without `out`). */
  totals?: { done: number; filtered: number };
  /** What decides task ids and seeds; a resume must match it. `definition` is a hash of the pipeline. */
  settings?: { trials: number; idField: string; seed: number; definition: string };
  /** Ids skipped because an earlier run already finished them (resume). */
  skipped: number;
  /** Source rows that could not be read (dead-lettered). */
  badRows: number;
  hops: number;
  tokens: { prompt: number; completion: number; byRole: Record<string, { prompt: number; completion: number }> };
  durationMs: number;
  rowsPerSecond: number;
  tokensPerSecond: number;
  cancelled: boolean;
  /** With `run({ budget })`: what was spent, and which limit stopped the run, if one did. */
  budget?: {
    limit?: string;
    limitValue?: number;
    atLimit?: { tokens: number; cost: number };
    spent: { tokens: number; cost: number; byRole: Record<string, { tokens: number; cost: number }> };
    onLimit: "finish" | "cancel";
    unpriced?: string[];
  };
  /** The driver fed the run and left it on NATS on purpose; `matrix attach` collects it. */
  detached?: boolean;
  /** Set when the run stopped early because the source itself failed (finished tasks were still written). */
  error?: { name: string; code?: string; message: string };
  files?: { output: string; filtered: string; deadLetters: string; summary: string; parquet?: string };
  /** The pipeline's summary metrics (`.metric(name, ...)`) by name; null for one that threw. */
  metrics?: Record<string, unknown>;
  /** Tasks the metrics cover: this run's finished tasks plus, on resume, those of earlier runs. */
  metricsScope?: { tasks: number; thisRun: number; earlierRuns: number };
  /** Why a metric is null: its MetricsError message. */
  metricsErrors?: Record<string, string>;
}
