/**
 * A generic worker: serves the roles of every active run in the NATS run registry, including runs
 * started after it, and stops a run's agents when the run is withdrawn. Any number of workers on any
 * number of machines compete for the same role queues; they may join or leave mid-run.
 *
 * Where you are: `worker/` (tier 3, beside `pipeline/`: it composes the bus, agents, flows and the
 * LLM layer). For each run, in this order: verify its signature (with trusted keys) before any of its
 * code is evaluated; parse its definition; open the LLM the run chose (run-llms.ts); load its modules;
 * start its agents. A run it refuses or cannot serve is logged and reported in its heartbeat, where
 * the run's driver and `matrix status` show it. `drain()` is the SIGTERM path: stop pulling, finish
 * the hops in hand, leave. A SIGKILL loses nothing either: unacked tasks are redelivered.
 */
import { createHash, type KeyObject } from "node:crypto";
import { setMaxListeners } from "node:events";
import { hostname } from "node:os";
import type { Logger } from "pino";
import { startRoleAgents } from "../agent/role-agents.js";
import type { Bus, BusConsumer } from "../bus/bus.js";
import type { NatsBus } from "../bus/nats/nats-bus.js";
import { watchRuns, type RunRecord } from "../bus/nats/run-registry.js";
import { WorkerRegistry, type WorkerProblem } from "../bus/nats/worker-registry.js";
import { token } from "../bus/nats/names.js";
import type { WorkerHeartbeat } from "../bus/nats/worker-registry.js";
import { compileFlow } from "../flow/compile-flow.js";
import { loadModules, type ModuleBundle } from "../flow/module-loader.js";
import { BusError, ConfigError, MatrixError } from "../errors.js";
import { rootLogger } from "../logger.js";
import { effectiveFlow, parseDefinition } from "../pipeline/definition.js";
import { llmOptionFor, registeredLlmOption } from "../pipeline/llm-selection.js";
import { resolveLlm, type LlmOption } from "../pipeline/resolve-llm.js";
import { listEndpoints } from "../bus/nats/endpoint-registry.js";
import { LiveMetrics } from "../metrics/live-metrics.js";
import { serveMetrics, type MetricsServer } from "../metrics/metrics-server.js";
import { LlmSelectionSchema, type LlmSelection } from "../schema/llm-selection.js";
import type { HopEndEvent } from "../schema/event.js";
import type { PipelineDefinition } from "../schema/pipeline-definition.js";
import { sandboxRunner, type SandboxOptions } from "../sandbox/sandbox.js";
import type { SandboxRunner } from "../sandbox/sandbox-request.js";
import { canonicalJson, readTrustedKeys, verifyRunRecord } from "../trust/index.js";
import { sweepAbandonedRuns } from "./abandoned-runs.js";
import { RunLlms, type OpenedLlm } from "./run-llms.js";

export interface WorkerOptions {
  bus: NatsBus;
  /** Serve only these roles (of every run). @default every role */
  roles?: readonly string[];
  /** Tasks of one role handled at once by this worker, unless the role sets its own. @default 64 */
  concurrency?: number;
  /**
   * This worker's LLM, used only for runs that leave the choice to workers (`llm: "workers"`): a
   * client, base URL or pool options; else OPENAI_BASE_URL, else registered endpoints, else a simulator.
   */
  llm?: LlmOption;
  /** `ctx.sandbox` for this worker's roles: options for a new sandbox or one you made. @default MATRIX_SANDBOX* variables */
  sandbox?: SandboxOptions | SandboxRunner;
  /** Default model for runs that leave the choice to workers. */
  model?: string;
  /**
   * Public keys (PEM files, PEM text or KeyObjects; or a comma-separated list of files): serve only
   * runs signed by one of them. @default MATRIX_TRUSTED_KEYS, else none: every run is served (with a
   * warning at start)
   */
  trustedKeys?: string | readonly (string | KeyObject)[];
  /** This worker's id in heartbeats and turn `agent` fields. @default host-pid */
  id?: string;
  /** Heartbeat period; the heartbeat expires after three missed beats. @default 5000 */
  heartbeatMs?: number;
  /** A run whose LLM could not be reached is tried again after this long. @default 30000 */
  llmRetryMs?: number;
  /** How often to look for abandoned runs (and runs removed by other workers). @default 30000 */
  sweepMs?: number;
  /** Grace of a run without any lease (an older driver, or one that died at once). @default 600000 */
  abandonAfterMs?: number;
  /** The version reported in heartbeats. */
  version?: string;
  logger?: Logger;
  /** Serve Prometheus metrics on `GET http://<metricsHost>:<port>/metrics` (0 = any free port). @default none */
  metricsPort?: number;
  /** @default "127.0.0.1" */
  metricsHost?: string;
  /** The LiveMetrics to fill. @default a new one (labelled with the worker id) when `metricsPort` is set */
  metrics?: LiveMetrics;
}

interface ServedRun {
  runId: string;
  abort: AbortController;
  consumers: BusConsumer[];
}

export class Worker {
  readonly id: string;
  private readonly runs = new Map<string, ServedRun>();
  private readonly problems = new Map<string, WorkerProblem>();
  private readonly retries = new Map<string, NodeJS.Timeout>();
  private readonly starting = new Set<string>();
  private readonly llms = new RunLlms();
  private readonly trusted: KeyObject[];
  private inFlight = 0;
  private hops = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private sweeper: NodeJS.Timeout | undefined;
  private registry: WorkerRegistry | undefined;
  private stopWatching: (() => void) | undefined;
  private draining: Promise<void> | undefined;
  /** The heartbeat last sent (drain waits for it before withdrawing the heartbeat). */
  private lastBeat: Promise<void> | undefined;
  private readonly logger: Logger;
  readonly metrics: LiveMetrics | undefined;
  private metricsServer: MetricsServer | undefined;
  /** Resolves when the worker has drained and closed its connection. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;

  /** One sandbox for every run this worker serves: its concurrency bounds the worker's programs. */
  private readonly sandbox: SandboxRunner | undefined;

  constructor(private readonly options: WorkerOptions) {
    this.sandbox = sandboxRunner(options.sandbox);
    this.id = options.id ?? `${hostname()}-${process.pid}`;
    this.logger = (options.logger ?? rootLogger()).child({ worker: this.id });
    this.trusted = readTrustedKeys(options.trustedKeys ?? process.env.MATRIX_TRUSTED_KEYS);
    this.done = new Promise((resolve) => (this.resolveDone = resolve));
    this.metrics =
      options.metrics ??
      (options.metricsPort !== undefined ? new LiveMetrics({ labels: { worker: this.id } }) : undefined);
  }

  /** Where this worker's Prometheus metrics are served, once started with `metricsPort`. */
  get metricsUrl(): string | undefined {
    return this.metricsServer?.url;
  }

  /** Runs currently served. */
  activeRuns(): string[] {
    return [...this.runs.values()].map((run) => run.runId);
  }

  status(): WorkerHeartbeat {
    return {
      id: this.id,
      host: hostname(),
      pid: process.pid,
      roles: this.options.roles ? [...this.options.roles] : "*",
      runs: this.activeRuns(),
      inFlight: this.inFlight,
      hops: this.hops,
      version: this.options.version ?? "0.1.0",
      time: Date.now(),
      ...(this.problems.size > 0 ? { problems: [...this.problems.values()] } : {}),
    };
  }

  async start(): Promise<void> {
    const bus = this.options.bus;
    if (this.trusted.length === 0)
      this.logger.warn(
        "no trusted keys (--trusted-keys / MATRIX_TRUSTED_KEYS): this worker runs the code of any run registered on NATS",
      );
    else this.logger.info({ keys: this.trusted.length }, "serving only runs signed by a trusted key");
    const heartbeatMs = this.options.heartbeatMs ?? 5000;
    if (this.metrics && this.options.metricsPort !== undefined)
      this.metricsServer = await serveMetrics(this.metrics, {
        port: this.options.metricsPort,
        host: this.options.metricsHost,
      });
    this.registry = await WorkerRegistry.open(bus.connection, { ttlMs: heartbeatMs * 3 });
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat(), heartbeatMs);
    this.heartbeat.unref();
    await this.watchRegistry();
    this.sweeper = setInterval(() => void this.sweep(), this.options.sweepMs ?? 30_000);
    this.sweeper.unref();
  }

  /**
   * Watches the run registry. A worker account that may not create the registry (the recommended
   * permissions) waits for the first driver to create it instead of failing.
   */
  private async watchRegistry(): Promise<void> {
    const watch = async () => {
      const stop = await watchRuns(await this.options.bus.runs(), {
        onPut: (record) => (this.draining ? Promise.resolve() : this.serve(record)),
        onDelete: (key) => this.leave(key),
        onError: (error) => this.logger.error({ err: error }, "watching the run registry failed"),
      });
      if (this.draining) stop();
      else this.stopWatching = stop;
    };
    try {
      await watch();
    } catch (error) {
      if (!/permission/i.test(String((error as Error)?.message))) throw error;
      this.logger.warn("the run registry does not exist yet and this account may not create it: waiting for a driver");
      const retry = (): void => {
        if (this.draining) return;
        watch().catch(() => setTimeout(retry, 1000).unref());
      };
      setTimeout(retry, 1000).unref();
    }
  }

  private beat(): Promise<void> {
    // None once draining: a beat landing after drain() withdrew the heartbeat would show this worker
    // alive until its TTL. drain() waits for the last one sent.
    if (this.draining) return Promise.resolve();
    const beating = (async () => {
      try {
        await this.registry?.put(this.status());
      } catch (error) {
        this.logger.debug({ err: error }, "heartbeat failed (server away?)");
      }
    })();
    this.lastBeat = beating;
    return beating;
  }

  /** Logs why this worker does not serve `runId` and tells the run's driver (through the heartbeat). */
  private report(runId: string, reason: WorkerProblem["reason"], message: string, error?: unknown): void {
    this.problems.set(token(runId), { runId, reason, message, time: Date.now() });
    const logger = this.logger.child({ runId });
    if (reason === "llm") logger.error({ err: error }, `cannot reach the run's LLM; not taking its tasks: ${message}`);
    else if (reason === "invalid-run") logger.error({ err: error }, `not serving the run: ${message}`);
    else logger.warn({ reason }, `refused run ${runId} (${reason}): ${message}; none of its code was evaluated`);
    void this.beat();
  }

  private clearProblem(key: string): void {
    if (this.problems.delete(key)) void this.beat();
  }

  /** Serves the roles of `record` this worker serves (a repeated PUT of a served run is ignored). */
  private async serve(record: RunRecord): Promise<void> {
    const key = token(record.runId);
    // One start at a time per run: the registry watch and an LLM retry may both ask.
    if (this.runs.has(key) || this.starting.has(key)) return;
    this.options.bus.reviveRun(record.runId);
    this.starting.add(key);
    try {
      await this.startServing(record, key);
    } finally {
      this.starting.delete(key);
    }
  }

  private async startServing(record: RunRecord, key: string): Promise<void> {
    const runId = record.runId;
    clearTimeout(this.retries.get(key));
    this.retries.delete(key);
    // Trust first: nothing of the run (functions, modules) is parsed or evaluated before this.
    if (this.trusted.length > 0) {
      const verdict = verifyRunRecord(record, this.trusted);
      if (!verdict.ok) return this.report(runId, verdict.reason, verdict.message);
      this.logger.debug({ runId, keyId: verdict.keyId }, "run signature verified");
    }
    const logger = this.logger.child({ runId });
    let definition: PipelineDefinition;
    let selection: LlmSelection;
    try {
      definition = parseDefinition(record.definition);
      // A record without a selection comes from an older driver: it left the choice to workers.
      selection = LlmSelectionSchema.parse(record.llm ?? { kind: "workers" });
    } catch (error) {
      return this.report(runId, "invalid-run", `its record is invalid: ${(error as Error).message}`, error);
    }
    const roleNames = Object.keys(definition.roles);
    const isChat = (role: string) => definition.roles[role]!.kind === "chat";
    // The LLM is a client object in the driver: only its local agents can serve chat roles.
    const mine = roleNames.filter(
      (role) =>
        (!this.options.roles || this.options.roles.includes(role)) && !(selection.kind === "driver" && isChat(role)),
    );
    let llm: OpenedLlm | undefined;
    if (mine.some(isChat)) {
      try {
        llm = await this.llms.acquire(
          canonicalJson({ selection, model: this.modelFor(selection, definition) }),
          key,
          () => this.openRunLlm(selection, definition, logger),
        );
      } catch (error) {
        this.report(runId, "llm", (error as Error)?.message ?? String(error), error);
        const retry = setTimeout(() => {
          this.retries.delete(key);
          if (!this.draining) void this.serve(record).catch(() => {});
        }, this.options.llmRetryMs ?? 30_000);
        retry.unref();
        this.retries.set(key, retry);
        return;
      }
      logger.info({ llm: llm.description }, "using the run's LLM");
    }
    this.clearProblem(key);
    // A module that cannot load here must not leave the run waiting forever: the roles are still
    // served, and each task fails at once with the load error, so the driver dead-letters it.
    let modules: Record<string, unknown> = {};
    let moduleFailure: MatrixError | undefined;
    try {
      modules = await this.fetchModules(record, definition);
    } catch (error) {
      logger.error({ err: error }, "the run's modules could not be fetched or loaded; its tasks are dead-lettered");
      moduleFailure = MatrixError.isInstance(error)
        ? error
        : new BusError(`worker ${this.id} could not load the run's modules: ${(error as Error)?.message ?? error}`);
    }
    // Offload like the run's driver, whatever this worker's own default is.
    if (typeof record.bus?.offloadThreshold === "number")
      this.options.bus.content.setThreshold(runId, record.bus.offloadThreshold);
    const served: ServedRun = { runId, abort: new AbortController(), consumers: [] };
    // Every LLM call in flight listens on the run's signal (its pool links it per call); hundreds at
    // once is the expected load, not a leak (Node's default of 10 printed MaxListenersExceededWarning).
    setMaxListeners(0, served.abort.signal);
    this.runs.set(key, served);
    // Heartbeats say which runs a worker serves (one with none of its roles too): say it now, not at
    // the next beat (up to heartbeatMs).
    void this.beat();
    if (mine.length === 0) return;
    const flow = compileFlow(effectiveFlow(definition), roleNames);
    const bus = this.countingView(this.options.bus.forRun(runId));
    const metrics = this.metrics;
    if (metrics)
      metrics.queueDepths(runId, async () =>
        Object.fromEntries(
          await Promise.all(mine.map(async (role) => [role, await this.options.bus.queueDepth(runId, role)] as const)),
        ),
      );
    const onHop = (event: HopEndEvent): void => {
      this.hops++;
      this.options.bus.emit(runId, event);
    };
    served.consumers.push(
      ...startRoleAgents({
        bus,
        definition,
        flow,
        roles: mine,
        agentPrefix: this.id,
        model: this.modelFor(selection, definition),
        concurrency: this.options.concurrency,
        modules,
        signal: served.abort.signal,
        llm: llm && metrics ? metrics.llmClient(runId, llm.client) : llm?.client,
        sandbox: this.sandbox,
        logger,
        meter: metrics ? (role) => metrics.agentMeter(runId, role) : undefined,
        content: this.options.bus.content.reader(runId),
        onHop,
        handler: moduleFailure
          ? async () => {
              throw moduleFailure;
            }
          : undefined,
      }),
    );
    logger.info({ roles: mine }, "serving run");
  }

  /** The run's model; this worker's own `--model` only when the run leaves the LLM to workers. */
  private modelFor(selection: LlmSelection, definition: PipelineDefinition): string | undefined {
    const chosen = "defaultModel" in selection ? selection.defaultModel : undefined;
    return (selection.kind === "workers" ? this.options.model : undefined) ?? chosen ?? definition.options.model;
  }

  /** Opens exactly the LLM the run chose; keys come from this worker's environment. */
  private async openRunLlm(
    selection: LlmSelection,
    definition: PipelineDefinition,
    logger: Logger,
  ): Promise<OpenedLlm> {
    const model = this.modelFor(selection, definition);
    switch (selection.kind) {
      case "endpoints": {
        const selected = llmOptionFor(selection);
        try {
          return await resolveLlm(selected.option, {
            model,
            logger,
            // This worker's own --llm / OPENAI_BASE_URL do not apply: the run chose these endpoints.
            unusableHint: `The run's driver chose these endpoints: make them reachable from this worker and give it their key (OPENAI_API_KEY, or the variable the run names); this worker tries again in ${Math.round((this.options.llmRetryMs ?? 30_000) / 1000)} s.`,
          });
        } catch (error) {
          if (selected.missingKeys.length === 0) throw error;
          const unset = selected.missingKeys.join(", ");
          throw new ConfigError("llm", `${(error as Error).message} (not set on this worker: ${unset})`, {
            cause: error,
          });
        }
      }
      case "simulator": {
        const selected = llmOptionFor(selection);
        return resolveLlm(selected.option, { model, logger, simulator: selected.simulator });
      }
      case "registered":
        return this.openRegistered(model, logger, true);
      case "workers":
        return this.openOwnLlm(model, logger);
      case "driver":
        throw new ConfigError("llm", "the run's LLM is a client object in its driver");
    }
  }

  /** Every endpoint registered on NATS; `required`: fail when there is none (else: a simulator). */
  private async openRegistered(model: string | undefined, logger: Logger, required: boolean): Promise<OpenedLlm> {
    const endpoints = await listEndpoints(this.options.bus.connection).catch(() => []);
    if (endpoints.length === 0) {
      if (required)
        throw new ConfigError("llm", "the run uses the endpoints registered on NATS, and none is registered");
      return resolveLlm("simulator", { model, logger });
    }
    logger.info({ endpoints: endpoints.map((e) => e.url) }, "using registered inference endpoints");
    const registered = registeredLlmOption(endpoints, model);
    return resolveLlm(registered.option, { model: registered.model, logger });
  }

  /**
   * A run that leaves the LLM to workers: --llm, else OPENAI_BASE_URL, else the endpoints registered
   * on NATS, else a local simulator (said in the log: it is rarely what a GPU cluster wants).
   */
  private async openOwnLlm(model: string | undefined, logger: Logger): Promise<OpenedLlm> {
    const option = this.options.llm;
    if (option !== undefined || process.env.OPENAI_BASE_URL || process.env.OPENAI_BASE_URLS)
      return resolveLlm(option, { model, logger });
    const opened = await this.openRegistered(model, logger, false);
    if (opened.description.startsWith("built-in simulator"))
      logger.warn("the run leaves the LLM to workers and this one has none: using a built-in simulator");
    return opened;
  }

  /**
   * The run's modules, from the bundles its driver put in the run's content store: this machine may
   * not have the files (or has them at another path), so the definition's paths are never read here.
   * Each bundle must hash to the ref in the (signed) record: the content store is writable by workers.
   */
  private async fetchModules(record: RunRecord, definition: PipelineDefinition): Promise<Record<string, unknown>> {
    const bundles: Record<string, ModuleBundle> = {};
    for (const [name, { path }] of Object.entries(definition.modules ?? {})) {
      const ref = record.modules?.[name];
      if (!ref)
        throw new BusError(`Run ${record.runId} names module '${name}' (${path}) but its driver shipped no bundle.`);
      const code = await this.options.bus.content.get(record.runId, ref);
      const digest = `sha256:${createHash("sha256").update(code, "utf8").digest("hex")}`;
      if (digest !== ref.ref)
        throw new BusError(
          `Module '${name}' of run ${record.runId} does not match the hash its driver recorded; not loaded.`,
        );
      bundles[name] = { name, path, code };
    }
    return loadModules(bundles);
  }

  /** Counts deliveries in hand, for heartbeats and `matrix status`. */
  private countingView(bus: Bus): Bus {
    return {
      ...bus,
      consume: (role, handler, options) =>
        bus.consume(
          role,
          async (delivery) => {
            this.inFlight++;
            try {
              await handler(delivery);
            } finally {
              this.inFlight--;
            }
          },
          options,
        ),
    };
  }

  /** Removes abandoned runs, and leaves runs that are no longer registered. */
  private async sweep(): Promise<void> {
    if (this.draining) return;
    // Only runs known before the listing starts may be left for missing from it: a run registered
    // while it lists (the watch starts serving it meanwhile) is absent from the listing but alive,
    // and leaving it would stop this worker serving it for good (its record is put only once).
    const known = new Set([...this.runs.keys(), ...this.problems.keys()]);
    try {
      const { registered } = await sweepAbandonedRuns({
        bus: this.options.bus,
        workerId: this.id,
        defaultGraceMs: this.options.abandonAfterMs ?? 600_000,
        logger: this.logger,
      });
      for (const key of known) if (!registered.has(key)) await this.leave(key);
    } catch (error) {
      this.logger.debug({ err: error }, "sweeping for abandoned runs failed (server away?)");
    }
  }

  /** Stops the agents of a withdrawn run (finishing the hops in hand). */
  private async leave(key: string): Promise<void> {
    clearTimeout(this.retries.get(key));
    this.retries.delete(key);
    this.clearProblem(key);
    const served = this.runs.get(key);
    if (!served) return void (await this.llms.release(key));
    this.runs.delete(key);
    served.abort.abort();
    // Hops in hand stop retrying publishes into the removed stream, so the agents stop promptly.
    this.options.bus.abandonRun(served.runId);
    await Promise.all(served.consumers.map((consumer) => consumer.stop()));
    await this.llms.release(key);
    this.options.bus.content.forget(served.runId);
    this.metrics?.forgetRun(served.runId);
    this.logger.info({ runId: served.runId }, "run withdrawn; stopped its agents");
    // `matrix status` would otherwise show the ended run, and hops in flight, until the next beat.
    void this.beat();
  }

  /** Stop pulling, finish in-flight hops, withdraw the heartbeat, close. Safe to call twice. */
  drain(): Promise<void> {
    this.draining ??= (async () => {
      this.stopWatching?.();
      clearInterval(this.heartbeat);
      clearInterval(this.sweeper);
      for (const retry of this.retries.values()) clearTimeout(retry);
      this.retries.clear();
      const runs = [...this.runs.values()];
      this.runs.clear();
      await Promise.all(runs.flatMap((run) => run.consumers.map((consumer) => consumer.stop())));
      await this.lastBeat;
      await this.registry?.remove(this.id).catch(() => {});
      await this.options.bus.close();
      await this.llms.closeAll();
      this.metrics?.close();
      await this.metricsServer?.close();
      this.resolveDone();
    })();
    return this.draining;
  }
}

/** Starts a worker on `options.bus`; it serves until `drain()`. */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const worker = new Worker(options);
  await worker.start();
  return worker;
}
