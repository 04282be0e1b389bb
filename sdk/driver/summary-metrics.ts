/**
 * Summary metrics: the metrics a pipeline declares (`.metric(name, { initial, accumulate, result })`,
 * the original's `BaseMetricsAccumulator`), folded over finished tasks where the sink is, and their
 * results for `summary.json` (`metrics.<name>`).
 *
 * Where you are: `driver/`. `run()` hands every finished task of this run to `add` (on the local bus
 * and on NATS alike: the driver consumes the sink queue, with offloaded content restored). On resume,
 * `addEarlierRuns` then reads the output directory for the tasks this run did not finish, so the
 * metrics cover the whole experiment: every task id once, with its latest outcome (done and filtered
 * records are final; a task that failed earlier and was not run again counts with its dead letter).
 */
import { createReadStream, existsSync } from "node:fs";
import { createInterface } from "node:readline";
import type { Logger } from "pino";
import { MetricsError, PipelineDefinitionError } from "../errors.js";
import { compileFunction } from "../flow/function-source.js";
import type { MetricDefinition } from "../schema/pipeline-definition.js";
import type { Task } from "../schema/task.js";
import { sinkFiles } from "../sink/jsonl-sink.js";

/** What metric functions receive besides the accumulator: the pipeline's params and modules. */
export interface MetricContext {
  readonly params: Readonly<Record<string, unknown>>;
  // `any`: a module's exports have no static type here (as in AgentContext).
  readonly modules: Readonly<Record<string, any>>;
}

type Accumulate = (acc: unknown, task: Task, ctx: MetricContext) => unknown;
type Result = (acc: unknown, ctx: MetricContext) => unknown;

interface Entry {
  name: string;
  acc: unknown;
  accumulate: Accumulate;
  result?: Result;
  /** Set once the metric threw: it stops accumulating and reports the error instead of a value. */
  error?: MetricsError;
}

/** What the metrics add to the run summary. */
export interface MetricsReport {
  /** Each metric's result by name; null for a metric that threw (see `metricsErrors`). */
  metrics: Record<string, unknown>;
  /** Which tasks the metrics cover: this run's finished tasks plus, on resume, earlier runs' ones. */
  metricsScope: { tasks: number; thisRun: number; earlierRuns: number };
  metricsErrors?: Record<string, string>;
}

const clone = (value: unknown): unknown => (value === undefined ? {} : JSON.parse(JSON.stringify(value)));

function moduleMetric(name: string, definition: { module: string; export?: string }, ctx: MetricContext) {
  const where = `metrics.${name}`;
  const loaded = ctx.modules[definition.module] as Record<string, unknown> | undefined;
  const target = (definition.export === undefined ? loaded : loaded?.[definition.export]) as
    { initial?: unknown; accumulate?: unknown; result?: unknown } | undefined;
  if (typeof target?.accumulate !== "function") {
    const what = definition.export ? `export '${definition.export}' of module` : "module";
    throw new PipelineDefinitionError(
      where,
      `${what} '${definition.module}' has no accumulate(acc, task, ctx) function (expected { initial?, accumulate, result? })`,
    );
  }
  const initial = typeof target.initial === "function" ? (target.initial as () => unknown)() : target.initial;
  return {
    acc: clone(initial),
    accumulate: target.accumulate.bind(target) as Accumulate,
    result: typeof target.result === "function" ? (target.result.bind(target) as Result) : undefined,
  };
}

/** Task records in a JSONL file, one at a time; a torn line (a crash mid-write) is skipped. */
async function* taskRecords(file: string): AsyncGenerator<Task> {
  if (!existsSync(file)) return;
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      continue;
    }
    // Dead letters also hold unreadable source rows (`kind: "bad-row"`): they never became tasks.
    if (typeof record === "object" && record !== null && typeof (record as Task).id === "string") {
      if ((record as { kind?: unknown }).kind !== "bad-row") yield record as Task;
    }
  }
}

export class SummaryMetrics {
  private readonly entries: Entry[];
  private readonly counted = new Set<string>();
  private thisRun = 0;
  private earlierRuns = 0;

  constructor(
    definitions: Readonly<Record<string, MetricDefinition>>,
    private readonly ctx: MetricContext,
    private readonly logger?: Logger,
  ) {
    this.entries = Object.entries(definitions).map(([name, definition]) => {
      if ("module" in definition) return { name, ...moduleMetric(name, definition, ctx) };
      return {
        name,
        acc: clone(definition.initial),
        accumulate: compileFunction<Accumulate>(definition.accumulate, `metrics.${name}.accumulate`),
        result: definition.result ? compileFunction<Result>(definition.result, `metrics.${name}.result`) : undefined,
      };
    });
  }

  get size(): number {
    return this.entries.length;
  }

  /** Folds one finished task into every metric; a task id is counted once. */
  add(task: Task, from: "this-run" | "earlier-run" = "this-run"): void {
    if (this.counted.has(task.id)) return;
    this.counted.add(task.id);
    if (from === "this-run") this.thisRun++;
    else this.earlierRuns++;
    for (const entry of this.entries) {
      if (entry.error) continue;
      try {
        const next = entry.accumulate(entry.acc, task, this.ctx);
        if (next !== undefined) entry.acc = next;
      } catch (error) {
        entry.error = new MetricsError(entry.name, "accumulate", (error as Error)?.message ?? String(error), {
          taskId: task.id,
          cause: error,
        });
        this.logger?.error({ err: entry.error, metric: entry.name, taskId: task.id }, "a summary metric threw");
      }
    }
  }

  /**
   * Adds the tasks earlier runs finished in `outDir` and this run did not: its done and filtered
   * records, then the last dead letter of each id that is in neither (failed, not run again).
   */
  async addEarlierRuns(outDir: string): Promise<void> {
    const files = sinkFiles(outDir);
    for (const file of [files.output, files.filtered]) {
      for await (const task of taskRecords(file)) this.add(task, "earlier-run");
    }
    const failed = new Map<string, Task>();
    for await (const task of taskRecords(files.deadLetters)) {
      if (!this.counted.has(task.id)) failed.set(task.id, task);
    }
    for (const task of failed.values()) this.add(task, "earlier-run");
  }

  /** The current results (cheap enough to call for a live display). */
  report(): MetricsReport {
    const metrics: Record<string, unknown> = {};
    const errors: Record<string, string> = {};
    for (const entry of this.entries) {
      if (!entry.error) {
        try {
          const value = entry.result ? entry.result(entry.acc, this.ctx) : entry.acc;
          metrics[entry.name] = value === undefined ? null : JSON.parse(JSON.stringify(value));
          continue;
        } catch (error) {
          entry.error = new MetricsError(entry.name, "result", (error as Error)?.message ?? String(error), {
            cause: error,
          });
        }
      }
      metrics[entry.name] = null;
      errors[entry.name] = entry.error.message;
    }
    return {
      metrics,
      metricsScope: { tasks: this.thisRun + this.earlierRuns, thisRun: this.thisRun, earlierRuns: this.earlierRuns },
      ...(Object.keys(errors).length > 0 ? { metricsErrors: errors } : {}),
    };
  }
}
