/**
 * `run()`: wires a pipeline definition to a bus, agents, an LLM client, the driver and the sink, and
 * returns the run handle.
 *
 * Where you are: `pipeline/`, the composition layer. On the local bus every role's agent runs in this
 * process; on NATS the agents run in workers and this process drives and sinks. Resources this
 * function opened (an in-process simulator, an LLM pool) are closed when the run ends.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { z } from "zod";
import { startRoleAgents } from "../agent/role-agents.js";
import type { Bus, BusConsumer } from "../bus/bus.js";
import { createLocalBus } from "../bus/local-bus.js";
import type { NatsBus, NatsBusOptions, NatsFlags } from "../bus/nats/index.js";
import { drive } from "../driver/driver.js";
import { Run, type RunControl } from "../driver/run.js";
import { SummaryMetrics } from "../driver/summary-metrics.js";
import type { RuntimeSource } from "../driver/source.js";
import { ConfigError, MatrixError } from "../errors.js";
import { compileFlow } from "../flow/compile-flow.js";
import { bundleModules, checkModulePaths, loadModules } from "../flow/module-loader.js";
import type { LlmClient } from "../llm/llm-client.js";
import { rootLogger } from "../logger.js";
import { processLiveMetrics, type LiveMetrics } from "../metrics/live-metrics.js";
import { serveMetrics } from "../metrics/metrics-server.js";
import { formatIssuePath } from "../schema/issue-path.js";
import type { RunSummary } from "../schema/event.js";
import type { PipelineDefinition } from "../schema/pipeline-definition.js";
import { prepareRetry } from "../sink/dead-letters.js";
import { JsonlSink, sinkFiles } from "../sink/jsonl-sink.js";
import type { Task } from "../schema/task.js";
import type { LiveFeed } from "../driver/driver.js";
import { BudgetTracker, type BudgetOptions, type ModelPrice } from "../driver/budget.js";
import { jsonlToParquet } from "../sink/parquet-export.js";
import { effectiveFlow } from "./definition.js";
import { resolveLlm, type LlmOption } from "./resolve-llm.js";
import { answerRunControl } from "./run-control.js";
import { sandboxRunner, type SandboxOptions } from "../sandbox/sandbox.js";
import type { SandboxRunner } from "../sandbox/sandbox-request.js";

export interface RunOptions {
  /** Rows to run: overrides the pipeline's source. Arrays, arquero tables, (async) iterables, files. */
  source?: RuntimeSource;
  /** Read at most this many source rows. */
  rows?: number;
  /** Directory for output.jsonl, filtered.jsonl, dead-letters.jsonl and summary.json. @default no files */
  out?: string;
  /** Skip ids already in the output directory; otherwise its files are started afresh. @default false */
  resume?: boolean;
  /** Also write `output.parquet` (from output.jsonl) when the run ends. Needs `out`. @default false */
  parquet?: boolean;
  /**
   * `local` (in-process, the default); `nats` (JetStream: workers serve the roles, this process feeds
   * and sinks; connection from `nats` options or NATS_URL, NATS_CREDS, ...); or a Bus you created.
   */
  bus?: "local" | "nats" | Bus;
  /** NATS connection settings for `bus: "nats"` (servers, user/password, token, creds, nkey, TLS). */
  nats?: NatsFlags;
  /** NATS bus tuning for `bus: "nats"` (offload threshold, ack wait, max deliver, backpressure). */
  natsBus?: NatsBusOptions;
  /** Run the agents in this process (true on the local bus; on NATS, false leaves them to workers). */
  localAgents?: boolean;
  /** An LlmClient, a base URL, pool options, or nothing (OPENAI_BASE_URL, else the built-in simulator). */
  llm?: LlmOption;
  /**
   * The sandbox local agents get as `ctx.sandbox`: options for a new one (backend, image,
   * concurrency, ...) or a sandbox you made. @default this process's sandbox (MATRIX_SANDBOX* variables)
   */
  sandbox?: SandboxOptions | SandboxRunner;
  /** Default model for chat roles. */
  model?: string;
  /** Settings of the built-in simulator, when it is started because no LLM was given (profile, speed...). */
  simulator?: Record<string, unknown>;
  /** Tasks of one role handled at once (per role, unless the role sets its own). */
  concurrency?: number;
  maxInFlight?: number;
  trials?: number;
  seed?: number;
  runId?: string;
  /** Keep finished tasks in memory for `run.results()` and tables. @default true */
  keepResults?: boolean;
  /**
   * Serve Prometheus metrics on `GET http://<metricsHost>:<port>/metrics` (0 = any free port; the URL is
   * `run.metricsUrl` once the run has started). The endpoint serves every run of this process and stays
   * up after the run, so the final values can be scraped. @default no endpoint
   */
  metricsPort?: number;
  /** Interface of the metrics endpoint; `0.0.0.0` for a Prometheus on another machine. @default "127.0.0.1" */
  metricsHost?: string;
  /** The LiveMetrics to fill. @default the process's own (`processLiveMetrics()`) when `metricsPort` is set */
  metrics?: LiveMetrics;
  /** Record each hop's queue wait, handling time, LLM time and size in `task.trace` (`run.trace(id)`). */
  trace?: boolean;
  /**
   * Prepared tasks to run instead of source rows, each from its own cursor, ids kept: what a retry of
   * dead letters and a fork feed (`run.retry`, `retryDeadLetters`, `forkTask`).
   */
  tasks?: readonly Task[];
  /**
   * Token and cost limits per run and per role (prices per model here or in the LLM pool options).
   * Reaching one stops feeding and lets the tasks in flight finish (or cancels the run: `onLimit`);
   * `summary.budget` says which limit it was.
   */
  budget?: BudgetOptions;
  signal?: AbortSignal;
  logger?: Logger;
}

/** Prices for budgets: the budget's own, else those of LLM pool options given as `llm`, else the client's. */
function budgetPrices(options: RunOptions): Record<string, ModelPrice> | undefined {
  if (options.budget?.prices) return options.budget.prices;
  const llm = options.llm as { prices?: Record<string, ModelPrice> } | string | undefined;
  return typeof llm === "object" && llm !== null && llm.prices ? llm.prices : undefined;
}

/** `<out>/pipeline.json`: the definition that wrote the directory (its inline source rows left out). */
export function pipelineFile(out: string): string {
  return join(out, "pipeline.json");
}

function storedDefinition(definition: PipelineDefinition): PipelineDefinition {
  if (definition.source?.kind !== "rows") return definition;
  const { source: _rows, ...rest } = definition;
  return rest as PipelineDefinition;
}

export function newRunId(name: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "");
  return `${name.replace(/[^A-Za-z0-9_-]/g, "-")}-${stamp}-${randomBytes(3).toString("hex")}`;
}

const count = (minimum: number) => z.number().int().min(minimum).optional();
/** The numeric run options, checked before anything starts (a 0 bound would hang the run). */
const RunNumbersSchema = z.object({
  rows: count(0),
  concurrency: count(1),
  maxInFlight: count(1),
  trials: count(1),
  seed: z.number().int().optional(),
});

function checkOptions(options: RunOptions): void {
  const result = RunNumbersSchema.safeParse({
    rows: options.rows,
    concurrency: options.concurrency,
    maxInFlight: options.maxInFlight,
    trials: options.trials,
    seed: options.seed,
  });
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new ConfigError(formatIssuePath(issue.path), issue.message);
  }
}

/**
 * A resume must produce the same task ids and seeds as the run it continues, or it would mix two
 * datasets in one file. A changed pipeline (a fixed prompt) is allowed, and noted.
 */
function checkResumable(out: string, settings: NonNullable<RunSummary["settings"]>, logger: Logger): void {
  const file = sinkFiles(out).summary;
  if (!existsSync(file)) return;
  let previous: RunSummary["settings"];
  try {
    previous = (JSON.parse(readFileSync(file, "utf8")) as RunSummary).settings;
  } catch {
    return;
  }
  if (!previous) return;
  for (const key of ["trials", "idField", "seed"] as const) {
    if (previous[key] !== settings[key]) {
      throw new ConfigError(
        key,
        `cannot resume ${out}: it was written with ${key} ${JSON.stringify(previous[key])}, this run has ${JSON.stringify(settings[key])}; ids or seeds would not match. Use the same setting or another output directory.`,
      );
    }
  }
  if (previous.definition !== settings.definition) {
    logger.warn({ out }, "resuming with a changed pipeline definition: earlier rows were made by the previous one");
  }
}

const contexts = new WeakMap<Run, { definition: PipelineDefinition; options: RunOptions }>();

/** The definition and options a run was started with (what a fork of one of its tasks reuses). */
export function runContext(run: Run): { definition: PipelineDefinition; options: RunOptions } | undefined {
  return contexts.get(run);
}

export function runPipeline(given: PipelineDefinition, options: RunOptions = {}): Run {
  checkOptions(options);
  // Tracing travels in the definition, so remote workers trace too.
  const definition = options.trace ? { ...given, options: { ...given.options, trace: true } } : given;
  const runId = options.runId ?? newRunId(definition.name);
  const source = options.source ?? definition.source ?? (options.tasks ? [] : undefined);
  if (source === undefined)
    throw new ConfigError(
      "source",
      `pipeline '${definition.name}' has no source: call .source(...) or pass run({ source })`,
    );
  // A missing module file is a mistake in the cell: say so at run(), not when done() rejects.
  checkModulePaths(definition.modules);
  if (options.resume && !options.out)
    throw new ConfigError("resume", "resume needs an output directory (out) to read finished ids from");
  const logger = (options.logger ?? rootLogger()).child({ runId });
  const settings = {
    trials: options.trials ?? definition.options.trials ?? 1,
    idField: definition.options.idField ?? "id",
    seed: options.seed ?? definition.options.seed ?? 0,
    definition: createHash("sha256").update(JSON.stringify(given)).digest("hex").slice(0, 16),
  };
  // Prepared tasks (retries, forks) keep their ids: the settings that derive ids do not apply.
  if (options.resume && options.out && !options.tasks) checkResumable(options.out, settings, logger);
  // A bus this run creates (local, or NATS from connection options) is closed when the run ends; one
  // passed in belongs to the caller.
  const ownsBus = typeof options.bus !== "object";
  let bus: Bus = typeof options.bus === "object" ? options.bus : createLocalBus();
  const localAgents =
    options.localAgents ?? (options.bus === undefined || options.bus === "local" || bus.kind === "local");
  const flowDefinition = effectiveFlow(definition);
  const roleNames = Object.keys(definition.roles);
  const flow = compileFlow(flowDefinition, roleNames);
  const model = options.model ?? definition.options.model;
  const needsLlm = localAgents && Object.values(definition.roles).some((role) => role.kind === "chat");
  const prometheus = options.metrics ?? (options.metricsPort !== undefined ? processLiveMetrics() : undefined);

  // Metric functions see params and modules; the modules are loaded here for them even when the
  // agents run elsewhere (NATS workers), because the metrics are computed where the sink is.
  let metrics: SummaryMetrics | undefined;

  const live: LiveFeed = {};
  const budget = options.budget ? new BudgetTracker(options.budget, budgetPrices(options)) : undefined;
  const stopFeeding = new AbortController();
  const run = new Run(
    { runId, pipeline: definition.name, keepResults: options.keepResults, signal: options.signal, logger },
    async (control) => {
      let llm: { client: LlmClient; close(): Promise<void> } | undefined;
      const consumers: BusConsumer[] = [];
      let unsubscribeEvents: (() => void) | undefined;
      let stopControl: (() => void) | undefined;
      try {
        if (options.bus === "nats") {
          // Loaded on demand: a local run (`matrix run`, a notebook) never pays for the NATS client.
          const { createNatsBus, natsConnectionOptions } = await import("../bus/nats/index.js");
          bus = await createNatsBus({ ...natsConnectionOptions(options.nats ?? {}), ...options.natsBus });
        }
        if (prometheus) {
          // Duck-typed: a local run must not load the NATS client just to ask.
          const natsBus = typeof (bus as Partial<NatsBus>).queueDepth === "function" ? (bus as NatsBus) : undefined;
          if (natsBus)
            prometheus.queueDepths(runId, async () =>
              Object.fromEntries(
                await Promise.all(
                  roleNames.map(async (role) => [role, await natsBus.queueDepth(runId, role)] as const),
                ),
              ),
            );
          if (options.metricsPort !== undefined) {
            const server = await serveMetrics(prometheus, { port: options.metricsPort, host: options.metricsHost });
            run.metricsUrl = server.url;
            logger.info({ url: server.url }, "serving Prometheus metrics");
          }
        }
        if (needsLlm) llm = await resolveLlm(options.llm, { model, logger, simulator: options.simulator });
        // Bundled before the run opens: a module that does not bundle (or throws on load, here for
        // local agents) fails the run before any task is fed, instead of failing every task.
        const bundles = await bundleModules(definition.modules);
        const modules = localAgents || definition.metrics ? loadModules(bundles) : {};
        if (definition.metrics) {
          metrics = new SummaryMetrics(definition.metrics, { params: definition.params, modules }, logger);
        }
        // Remote workers learn the run (and get the bundles) before any task exists, and local agents consume a known run.
        if (bus.openRun) await bus.openRun({ runId, definition, modules: bundles });
        if (localAgents) {
          consumers.push(
            ...startRoleAgents({
              bus,
              definition,
              flow,
              roles: roleNames,
              agentPrefix: "local",
              model,
              concurrency: options.concurrency,
              modules,
              signal: control.signal,
              llm: llm && prometheus ? prometheus.llmClient(runId, llm.client) : llm?.client,
              sandbox: sandboxRunner(options.sandbox),
              logger,
              onHop: control.emit,
              // This process's agents count in this process's metrics; remote agents count in theirs.
              meter: prometheus ? (role) => prometheus.agentMeter(runId, role) : undefined,
            }),
          );
        }
        if (options.out && !options.resume) {
          const files = sinkFiles(options.out);
          for (const file of [files.output, files.filtered, files.deadLetters, files.summary])
            rmSync(file, { force: true });
        }
        const sink = options.out ? new JsonlSink(options.out) : undefined;
        // What made this directory, so `matrix dlq retry` / `matrix fork` can run its tasks again.
        if (options.out)
          await writeFile(pipelineFile(options.out), `${JSON.stringify(storedDefinition(given), null, 2)}\n`);
        if (bus.onEvent) unsubscribeEvents = bus.onEvent(runId, (event) => control.emit(event));
        const counted = metrics;
        const driveControl: RunControl = counted
          ? {
              ...control,
              emit: (event) => {
                if (event.type === "task-end") counted.add(event.task);
                control.emit(event);
              },
            }
          : control;
        if (bus.onControl) stopControl = bus.onControl(runId, (request) => answerRunControl(run, request));
        const { summary, error } = await drive(
          {
            bus,
            runId,
            pipeline: definition.name,
            entry: flow.entry,
            source,
            limit: options.rows,
            trials: options.trials ?? definition.options.trials ?? 1,
            seed: options.seed ?? definition.options.seed ?? 0,
            idField: definition.options.idField ?? "id",
            maxInFlight: options.maxInFlight ?? definition.options.maxInFlight ?? 256,
            sink,
            resume: options.resume ?? false,
            logger,
            tasks: options.tasks,
            live,
            stopFeeding: stopFeeding.signal,
          },
          driveControl,
        );
        if (counted) {
          if (options.resume && options.out) await counted.addEarlierRuns(options.out);
          Object.assign(summary, counted.report());
        }
        if (budget) summary.budget = budget.report();
        if (options.out) {
          summary.outDir = options.out;
          summary.settings = settings;
          if (options.parquet && summary.files) {
            summary.files.parquet = join(options.out, "output.parquet");
            await jsonlToParquet(summary.files.output, summary.files.parquet);
          }
          await writeFile(sinkFiles(options.out).summary, `${JSON.stringify(summary, null, 2)}\n`);
        }
        control.emit({ type: "run-end", summary, time: Date.now() });
        // The finished tasks and the summary are on disk; now say that the source broke.
        if (error !== undefined) throw error;
        return summary;
      } finally {
        await Promise.all(consumers.map((consumer) => consumer.stop()));
        unsubscribeEvents?.();
        stopControl?.();
        if (bus.closeRun)
          await bus
            .closeRun(runId)
            .catch((error: unknown) => logger.warn({ err: error }, "closing the run on the bus failed"));
        if (ownsBus) await bus.close();
        await llm?.close();
        prometheus?.forgetRun(runId);
      }
    },
  );
  prometheus?.attachRun(run);
  contexts.set(run, { definition: given, options });
  if (budget) {
    run.subscribe((event) => {
      if (event.type !== "hop-end") return;
      const limit = budget.add(event);
      if (limit === undefined) return;
      run.budgetLimit = limit;
      logger.warn({ limit, onLimit: budget.onLimit, spent: budget.report().spent }, "budget reached; stopping the run");
      if (budget.onLimit === "cancel") void run.cancel();
      else stopFeeding.abort();
    });
  }
  const roleSet = new Set(roleNames);
  run.retryHandler = async (tasks, retryOptions) => {
    const prepared = tasks.map((task) => prepareRetry(task, { entry: flow.entry, roles: roleSet }, retryOptions));
    if (live.requeue) {
      try {
        await live.requeue(prepared);
        return run;
      } catch (error) {
        // Finished in the meantime: fall through to a run of their own.
        if (!(MatrixError.isInstance(error) && error.code === "run-finished")) throw error;
      }
    }
    const { runId: _runId, source: _source, rows: _rows, metricsPort: _port, ...rest } = options;
    return runPipeline(given, { ...rest, tasks: prepared, resume: options.out !== undefined });
  };
  run.sampleQueues = () => Object.fromEntries(roleNames.map((role) => [role, bus.depth(role)]));
  run.sampleMetrics = () => metrics?.report().metrics ?? {};
  return run;
}
