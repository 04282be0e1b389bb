/**
 * `run()`: wires a pipeline definition to a bus, agents, an LLM client, the driver and the sink, and
 * returns the run handle.
 *
 * Where you are: `pipeline/`, the composition layer. On the local bus every role's agent runs in this
 * process; on NATS the agents run in workers and this process drives and sinks (cluster-run.ts: the
 * lease, adoption of a run whose driver died, detach), and the run record tells every worker which
 * LLM to use (llm-selection.ts). Resources this function opened (an in-process simulator, an LLM
 * pool) are closed when the run ends.
 */
import { createHash, randomBytes, type KeyObject } from "node:crypto";
import { setMaxListeners } from "node:events";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Logger } from "pino";
import { z } from "zod";
import { startRoleAgents } from "../agent/role-agents.js";
import type { Bus, BusConsumer } from "../bus/bus.js";
import { createLocalBus } from "../bus/local-bus.js";
import { scheduledBus } from "../bus/scheduling.js";
import { SCHEDULING_MODES, type SchedulingMode } from "../schema/scheduling-mode.js";
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
import { readSigningKey } from "../trust/signing-keys.js";
// Type only: cluster-run.ts (the NATS side) is loaded on demand, like the NATS client.
import type { ClusterRun } from "./cluster-run.js";
import { adoptableRunId } from "./run-file.js";

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
  /**
   * An LlmClient, a base URL, pool options, or nothing (OPENAI_BASE_URL, else the built-in simulator).
   * On NATS the run record carries this choice to every worker (never keys: workers use their own
   * OPENAI_API_KEY, or the variable an endpoint's `apiKeyEnv` names); `"workers"` leaves the choice to
   * each worker, `"registered"` uses the endpoints registered on NATS, `"simulator"` the simulator.
   * Without one on NATS: OPENAI_BASE_URL, else registered endpoints if any, else the simulator.
   */
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
  /**
   * How tasks move between roles on the local bus: `row` (peer to peer, each task on its own), or, to
   * compare against, `batch` (batches of `batchSize` rows with a barrier per role, like Ray Data) or
   * `central` (one controller drives every task under the `maxInFlight` limit, like the original
   * Coral and tau2 runners). @default "row"
   */
  scheduling?: SchedulingMode;
  /** `scheduling: "batch"`: rows per batch. @default 64 */
  batchSize?: number;
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
  /**
   * NATS: sign the run record with this ed25519 private key (PEM file, PEM text or KeyObject);
   * workers with trusted keys serve only signed runs. @default MATRIX_SIGNING_KEY, else unsigned
   */
  signingKey?: string | KeyObject;
  /**
   * NATS: feed every row, then leave the run on NATS and return (the workers go on); collect it later
   * with `attachRun` / `matrix attach RUN_ID --out DIR`, or `resume` in the same output directory.
   */
  detach?: boolean;
  /** NATS: the driver's lease expires after this long without renewal (renewed every third). @default 15000 */
  leaseMs?: number;
  /**
   * NATS: a run whose lease expired this long ago, and that no driver adopted, is removed by workers.
   * @default 600000 (10 min); 86400000 (24 h) for a detached run
   */
  abandonAfterMs?: number;
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
  batchSize: count(1),
  trials: count(1),
  seed: z.number().int().optional(),
});

function checkOptions(options: RunOptions): void {
  const result = RunNumbersSchema.safeParse({
    rows: options.rows,
    concurrency: options.concurrency,
    maxInFlight: options.maxInFlight,
    batchSize: options.batchSize,
    trials: options.trials,
    seed: options.seed,
  });
  if (options.scheduling !== undefined && !SCHEDULING_MODES.includes(options.scheduling))
    throw new ConfigError("scheduling", `expected one of ${SCHEDULING_MODES.join(", ")}`);
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

/** Internal: `attachRun` collects a detached run through the same path (no source, no agents). */
interface AttachMode {
  attach: true;
}

export function runPipeline(given: PipelineDefinition, options: RunOptions = {}, mode?: AttachMode): Run {
  checkOptions(options);
  // Tracing travels in the definition, so remote workers trace too.
  const definition = options.trace ? { ...given, options: { ...given.options, trace: true } } : given;
  const onNats = options.bus === "nats" || (typeof options.bus === "object" && options.bus.kind === "nats");
  // On NATS, `resume` in a directory that remembers its run continues that run if it still exists.
  const runId =
    options.runId ??
    (onNats ? adoptableRunId(options.out, options.resume ?? false) : undefined) ??
    newRunId(definition.name);
  const source = options.source ?? definition.source ?? (options.tasks ? [] : undefined);
  if (source === undefined)
    throw new ConfigError(
      "source",
      `pipeline '${definition.name}' has no source: call .source(...) or pass run({ source })`,
    );
  // A missing module file is a mistake in the cell: say so at run(), not when done() rejects.
  if (!mode?.attach) checkModulePaths(definition.modules);
  if (!onNats && (options.llm === "workers" || options.llm === "registered"))
    throw new ConfigError("llm", `'${options.llm}' chooses the LLM of NATS workers: use it with bus: 'nats'`);
  if (!onNats && options.detach) throw new ConfigError("detach", "only a run on NATS can outlive its driver");
  if ((onNats || typeof options.bus === "object") && (options.scheduling ?? "row") !== "row")
    throw new ConfigError(
      "scheduling",
      `'${options.scheduling}' compares scheduling on the bus a run creates (local); a NATS or given bus schedules row by row`,
    );
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
  const maxInFlight = options.maxInFlight ?? definition.options.maxInFlight ?? 256;
  let bus: Bus =
    typeof options.bus === "object"
      ? options.bus
      : scheduledBus(createLocalBus(), {
          mode: options.scheduling ?? "row",
          batchSize: options.batchSize,
          concurrency: maxInFlight,
        });
  // `bus: "nats"` leaves the agents to workers: `bus` is only a local placeholder until it connects.
  const localAgents = options.localAgents ?? !onNats;
  const flowDefinition = effectiveFlow(definition);
  const roleNames = Object.keys(definition.roles);
  const flow = compileFlow(flowDefinition, roleNames);
  const model = options.model ?? definition.options.model;
  const needsLlm = localAgents && Object.values(definition.roles).some((role) => role.kind === "chat");
  const prometheus = options.metrics ?? (options.metricsPort !== undefined ? processLiveMetrics() : undefined);

  // Metric functions see params and modules; the modules are loaded here for them even when the
  // agents run elsewhere (NATS workers), because the metrics are computed where the sink is.
  let metrics: SummaryMetrics | undefined;
  const signingKey = onNats ? signingKeyOf(options) : undefined;

  const live: LiveFeed = {};
  const budget = options.budget ? new BudgetTracker(options.budget, budgetPrices(options)) : undefined;
  const stopFeeding = new AbortController();
  const run = new Run(
    { runId, pipeline: definition.name, keepResults: options.keepResults, signal: options.signal, logger },
    async (runControl) => {
      let llm: { client: LlmClient; close(): Promise<void>; description: string } | undefined;
      const consumers: BusConsumer[] = [];
      let unsubscribeEvents: (() => void) | undefined;
      let stopControl: (() => void) | undefined;
      let stopWatchingWorkers: (() => void) | undefined;
      let cluster: ClusterRun | undefined;
      let fedAll = false;
      // A driver whose lease is taken over (another driver adopted the run) stops at once.
      // One controller linked to the run's signal (not AbortSignal.any: every LLM call in flight listens
      // on this signal, and a composite one would warn past ten listeners, see driver/run.ts).
      const lease = new AbortController();
      setMaxListeners(0, lease.signal);
      const cancelled = () => lease.abort(runControl.signal.reason);
      if (runControl.signal.aborted) cancelled();
      else runControl.signal.addEventListener("abort", cancelled, { once: true });
      const control = { ...runControl, signal: lease.signal };
      try {
        if (options.bus === "nats") {
          // Loaded on demand: a local run (`matrix run`, a notebook) never pays for the NATS client.
          const { createNatsBus, natsConnectionOptions } = await import("../bus/nats/index.js");
          bus = await createNatsBus({ ...natsConnectionOptions(options.nats ?? {}), ...options.natsBus });
        }
        const nats = bus.kind === "nats" ? (bus as NatsBus) : undefined;
        const onCluster = nats ? await import("./cluster-run.js") : undefined;
        const selection =
          nats && !mode?.attach ? await onCluster!.selectNatsLlm(nats, options, model, localAgents, logger) : undefined;
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
        if (needsLlm)
          llm =
            selection?.kind === "registered"
              ? await onCluster!.registeredLocalLlm(nats!, model, logger)
              : await resolveLlm(
                  // The words that choose workers' LLMs mean the driver's own default here.
                  options.llm === "workers" || options.llm === "registered" ? undefined : options.llm,
                  { model, logger, simulator: options.simulator },
                );
        // Bundled before the run opens: a module that does not bundle (or throws on load, here for
        // local agents) fails the run before any task is fed, instead of failing every task.
        // (Attaching, the bundles come from the run's content store: the files may not be here.)
        const bundles =
          mode?.attach && nats ? await onCluster!.shippedBundles(nats, runId) : await bundleModules(definition.modules);
        const modules = localAgents || definition.metrics ? loadModules(bundles) : {};
        if (definition.metrics) {
          metrics = new SummaryMetrics(definition.metrics, { params: definition.params, modules }, logger);
        }
        // Remote workers learn the run (and get the bundles) before any task exists, and local agents consume a known run.
        if (nats) {
          cluster = await onCluster!.openClusterRun({
            bus: nats,
            runId,
            mode: mode?.attach
              ? "attach"
              : options.resume && adoptableRunId(options.out, true) === runId
                ? "resume"
                : "start",
            definition,
            bundles,
            selection,
            settings: { trials: settings.trials, idField: settings.idField, seed: settings.seed },
            signingKey,
            out: options.out,
            leaseMs: options.leaseMs,
            abandonAfterMs: options.abandonAfterMs,
            logger,
            onLost: (error) => lease.abort(error),
          });
          stopWatchingWorkers = onCluster!.watchWorkerErrors(nats, runId, control.emit);
        } else if (bus.openRun) await bus.openRun({ runId, definition, modules: bundles });
        const llmDescription = cluster?.record.llm
          ? await onCluster!.describeRunLlm(nats!, cluster.record.llm)
          : llm?.description;
        if (llmDescription) logger.info({ llm: llmDescription }, nats ? "workers will use this LLM" : "using this LLM");
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
        if (options.out && !options.resume && !mode?.attach) {
          const files = sinkFiles(options.out);
          for (const file of [files.output, files.filtered, files.deadLetters, files.summary])
            rmSync(file, { force: true });
          // Forks of the replaced tasks (forkTask, `matrix fork`) go with them: a notebook re-run would
          // otherwise find its fork "already made" and skip it.
          rmSync(join(options.out, "forks"), { recursive: true, force: true });
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
            maxInFlight,
            sink,
            resume: (options.resume ?? false) || !!mode?.attach,
            logger,
            tasks: options.tasks,
            live,
            stopFeeding: stopFeeding.signal,
            adopt: cluster?.adopt,
            checkpoint: cluster ? (feed) => cluster!.checkpoint(feed) : undefined,
            feedOnly: options.detach,
            llm: llmDescription,
          },
          driveControl,
        );
        if (cluster?.lost) throw cluster.lost;
        fedAll = error === undefined && !control.signal.aborted;
        if (options.detach) summary.detached = true;
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
        stopWatchingWorkers?.();
        // Before the run leaves the bus: its queues read 0 from now on, not a failed lookup.
        prometheus?.forgetRun(runId);
        await finishRun({
          bus,
          cluster,
          runId,
          logger,
          options,
          cancelled: control.signal.aborted,
          fedAll,
          attach: !!mode?.attach,
        });
        if (ownsBus) await bus.close();
        await llm?.close();
      }
    },
  );
  prometheus?.attachRun(run);
  contexts.set(run, { definition: given, options });
  if (budget) {
    // A task's tokens the hop events did not report are priced with its role's model.
    const modelOf = (role: string) => {
      const defined = definition.roles[role];
      return (defined?.kind === "chat" ? defined.model : undefined) ?? model;
    };
    run.subscribe((event) => {
      // Hop events count early; a task's own usage settles it exactly when it reaches the sink (before
      // the driver frees its slot, so nothing more is fed past a limit it reached).
      const limit =
        event.type === "hop-end"
          ? budget.add(event)
          : event.type === "task-end"
            ? budget.settle(event.task, modelOf)
            : undefined;
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
      for (const task of prepared) budget?.reopen(task);
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

/** The key runs on NATS are signed with: the option, else MATRIX_SIGNING_KEY (a file or PEM text). */
function signingKeyOf(options: RunOptions): KeyObject | undefined {
  const source = options.signingKey ?? process.env.MATRIX_SIGNING_KEY;
  return source ? readSigningKey(source) : undefined;
}

/**
 * Ends the run on its bus: removes it, or, for a detached run (and an interrupted attach), leaves it
 * on NATS for `matrix attach`. A driver that lost its lease touches nothing: the run is someone else's.
 */
async function finishRun(parts: {
  bus: Bus;
  cluster: ClusterRun | undefined;
  runId: string;
  logger: Logger;
  options: RunOptions;
  cancelled: boolean;
  /** Every row was fed (no cancel, no source failure). */
  fedAll: boolean;
  attach: boolean;
}): Promise<void> {
  const { bus, cluster, runId, logger, options } = parts;
  try {
    if (cluster) {
      const keep = (options.detach && !parts.cancelled) || (parts.attach && parts.cancelled);
      await cluster.finish({ keep, fedAll: parts.fedAll || parts.attach, keepForMs: options.abandonAfterMs });
    } else if (bus.closeRun) await bus.closeRun(runId);
  } catch (error) {
    logger.warn({ err: error }, "closing the run on the bus failed");
  }
}
