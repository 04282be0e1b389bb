/**
 * A generic worker: serves the roles of every active run in the NATS run registry, including runs
 * started after it, and stops a run's agents when the run is withdrawn. Any number of workers on any
 * number of machines compete for the same role queues; they may join or leave mid-run.
 *
 * Where you are: `worker/` (tier 3, beside `pipeline/`: it composes the bus, agents, flows and the
 * LLM layer). `drain()` is the SIGTERM path: stop pulling, finish the hops in hand, leave. A SIGKILL
 * loses nothing either: unacked tasks are redelivered to the other workers.
 */
import { hostname } from "node:os";
import type { Logger } from "pino";
import { startRoleAgents } from "../agent/role-agents.js";
import type { Bus, BusConsumer } from "../bus/bus.js";
import type { NatsBus } from "../bus/nats/nats-bus.js";
import { watchRuns, type RunRecord } from "../bus/nats/run-registry.js";
import { WorkerRegistry } from "../bus/nats/worker-registry.js";
import { token } from "../bus/nats/names.js";
import type { WorkerHeartbeat } from "../bus/nats/worker-registry.js";
import { compileFlow } from "../flow/compile-flow.js";
import { loadModules, type ModuleBundle } from "../flow/module-loader.js";
import type { LlmClient } from "../llm/llm-client.js";
import { BusError, MatrixError } from "../errors.js";
import { rootLogger } from "../logger.js";
import { effectiveFlow, parseDefinition } from "../pipeline/definition.js";
import { resolveLlm, type LlmOption } from "../pipeline/resolve-llm.js";
import { listEndpoints } from "../bus/nats/endpoint-registry.js";
import { LiveMetrics } from "../metrics/live-metrics.js";
import { serveMetrics, type MetricsServer } from "../metrics/metrics-server.js";
import type { HopEndEvent } from "../schema/event.js";
import type { PipelineDefinition } from "../schema/pipeline-definition.js";
import { sandboxRunner, type SandboxOptions } from "../sandbox/sandbox.js";
import type { SandboxRunner } from "../sandbox/sandbox-request.js";

export interface WorkerOptions {
  bus: NatsBus;
  /** Serve only these roles (of every run). @default every role */
  roles?: readonly string[];
  /** Tasks of one role handled at once by this worker, unless the role sets its own. @default 64 */
  concurrency?: number;
  /** The LLM for chat roles: a client, base URL or pool options; else OPENAI_BASE_URL, else the simulator. */
  llm?: LlmOption;
  /** `ctx.sandbox` for this worker's roles: options for a new sandbox or one you made. @default MATRIX_SANDBOX* variables */
  sandbox?: SandboxOptions | SandboxRunner;
  model?: string;
  /** This worker's id in heartbeats and turn `agent` fields. @default host-pid */
  id?: string;
  /** Heartbeat period; the heartbeat expires after three missed beats. @default 5000 */
  heartbeatMs?: number;
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
  private inFlight = 0;
  private hops = 0;
  private llm: Promise<{ client: LlmClient; close(): Promise<void> }> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private registry: WorkerRegistry | undefined;
  private stopWatching: (() => void) | undefined;
  private draining: Promise<void> | undefined;
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
    };
  }

  async start(): Promise<void> {
    const bus = this.options.bus;
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
    this.stopWatching = await watchRuns(await bus.runs(), {
      onPut: (record) => (this.draining ? Promise.resolve() : this.serve(record)),
      onDelete: (key) => this.leave(key),
      onError: (error) => this.logger.error({ err: error }, "watching the run registry failed"),
    });
  }

  private async beat(): Promise<void> {
    try {
      await this.registry?.put(this.status());
    } catch (error) {
      this.logger.debug({ err: error }, "heartbeat failed (server away?)");
    }
  }

  private llmClient(model: string | undefined): Promise<{ client: LlmClient; close(): Promise<void> }> {
    this.llm ??= this.openLlm(this.options.model ?? model);
    return this.llm;
  }

  /**
   * --llm, else OPENAI_BASE_URL, else the endpoints registered on NATS (vLLM/SGLang servers of the
   * cluster), else a local simulator. A bare URL without a model asks the server for its first model.
   */
  private async openLlm(model: string | undefined): Promise<{ client: LlmClient; close(): Promise<void> }> {
    let option = this.options.llm;
    if (option === undefined && !process.env.OPENAI_BASE_URL && !process.env.OPENAI_BASE_URLS) {
      const endpoints = await listEndpoints(this.options.bus.connection).catch(() => []);
      if (endpoints.length > 0) {
        option = {
          endpoints: endpoints.map((e) => ({
            baseUrl: e.url,
            ...(process.env.OPENAI_API_KEY ? { apiKey: process.env.OPENAI_API_KEY } : {}),
            ...(e.model ? { models: [e.model] } : {}),
          })),
        };
        model ??= endpoints.find((e) => e.model)?.model;
        this.logger.info({ endpoints: endpoints.map((e) => e.url) }, "using registered inference endpoints");
      }
    }
    if (typeof option === "string" && model === undefined) model = await firstModel(option);
    if (option !== undefined && typeof option === "object" && !("chat" in option) && model !== undefined)
      option = { defaultModel: model, ...option };
    return resolveLlm(option, { model, logger: this.logger });
  }

  /** Starts agents for the roles of `record` this worker serves (a repeated PUT of a served run is ignored). */
  private async serve(record: RunRecord): Promise<void> {
    const runId = record.runId;
    if (this.runs.has(token(runId))) return;
    const logger = this.logger.child({ runId });
    let definition: PipelineDefinition;
    try {
      definition = parseDefinition(record.definition);
    } catch (error) {
      logger.error({ err: error }, "the run's pipeline definition is invalid; not serving it");
      return;
    }
    let modules: Record<string, unknown> = {};
    // A module that cannot load here must not leave the run waiting forever: the roles are still
    // served, and each task fails at once with the load error, so the driver dead-letters it.
    let moduleFailure: MatrixError | undefined;
    try {
      modules = await this.fetchModules(record, definition);
    } catch (error) {
      logger.error({ err: error }, "the run's modules could not be fetched or loaded; its tasks are dead-lettered");
      moduleFailure = MatrixError.isInstance(error)
        ? error
        : new BusError(`worker ${this.id} could not load the run's modules: ${(error as Error)?.message ?? error}`);
    }
    const roleNames = Object.keys(definition.roles);
    const mine = roleNames.filter((role) => !this.options.roles || this.options.roles.includes(role));
    // Offload like the run's driver, whatever this worker's own default is.
    if (typeof record.bus?.offloadThreshold === "number")
      this.options.bus.content.setThreshold(runId, record.bus.offloadThreshold);
    const served: ServedRun = { runId, abort: new AbortController(), consumers: [] };
    this.runs.set(token(runId), served);
    if (mine.length === 0) return;
    const model = this.options.model ?? definition.options.model;
    const needsLlm = mine.some((role) => definition.roles[role]!.kind === "chat");
    let llm: LlmClient | undefined;
    try {
      llm = needsLlm ? (await this.llmClient(model)).client : undefined;
    } catch (error) {
      // Forget the failure so the next run (or a re-registered one) tries again.
      this.llm = undefined;
      this.runs.delete(token(runId));
      logger.error({ err: error }, "no LLM for the run's chat roles; not serving it");
      return;
    }
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
        model,
        concurrency: this.options.concurrency,
        modules,
        signal: served.abort.signal,
        llm: llm && metrics ? metrics.llmClient(runId, llm) : llm,
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

  /**
   * The run's modules, from the bundles its driver put in the run's object store: this machine may
   * not have the files (or has them at another path), so the definition's paths are never read here.
   */
  private async fetchModules(record: RunRecord, definition: PipelineDefinition): Promise<Record<string, unknown>> {
    const bundles: Record<string, ModuleBundle> = {};
    for (const [name, { path }] of Object.entries(definition.modules ?? {})) {
      const ref = record.modules?.[name];
      if (!ref)
        throw new BusError(`Run ${record.runId} names module '${name}' (${path}) but its driver shipped no bundle.`);
      bundles[name] = { name, path, code: await this.options.bus.content.get(record.runId, ref) };
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

  /** Stops the agents of a withdrawn run (finishing the hops in hand). */
  private async leave(key: string): Promise<void> {
    const served = this.runs.get(key);
    if (!served) return;
    this.runs.delete(key);
    served.abort.abort();
    await Promise.all(served.consumers.map((consumer) => consumer.stop()));
    this.options.bus.content.forget(served.runId);
    this.metrics?.forgetRun(served.runId);
    this.logger.info({ runId: served.runId }, "run withdrawn; stopped its agents");
  }

  /** Stop pulling, finish in-flight hops, withdraw the heartbeat, close. Safe to call twice. */
  drain(): Promise<void> {
    this.draining ??= (async () => {
      this.stopWatching?.();
      clearInterval(this.heartbeat);
      const runs = [...this.runs.values()];
      this.runs.clear();
      await Promise.all(runs.flatMap((run) => run.consumers.map((consumer) => consumer.stop())));
      await this.registry?.remove(this.id).catch(() => {});
      await this.options.bus.close();
      if (this.llm) await (await this.llm.catch(() => undefined))?.close();
      this.metrics?.close();
      await this.metricsServer?.close();
      this.resolveDone();
    })();
    return this.draining;
  }
}

/** The first model an OpenAI-compatible server lists (`GET /models`), or undefined. */
async function firstModel(baseUrl: string): Promise<string | undefined> {
  try {
    const response = await fetch(`${baseUrl.replace(/\/$/, "")}/models`, {
      headers: process.env.OPENAI_API_KEY ? { authorization: `Bearer ${process.env.OPENAI_API_KEY}` } : {},
      signal: AbortSignal.timeout(5000),
    });
    const body = (await response.json()) as { data?: Array<{ id?: string }> };
    return body.data?.[0]?.id;
  } catch {
    return undefined;
  }
}

/** Starts a worker on `options.bus`; it serves until `drain()`. */
export async function startWorker(options: WorkerOptions): Promise<Worker> {
  const worker = new Worker(options);
  await worker.start();
  return worker;
}
