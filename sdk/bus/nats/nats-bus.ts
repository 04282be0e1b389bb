/**
 * The NATS JetStream bus: the cluster implementation of the Bus contract (bus/bus.ts).
 *
 * Where you are: `bus/nats/`. Per run, one work-queue stream (file storage) with a subject per role
 * and one durable pull consumer per role shared by every instance on every machine. One hop costs
 * one JetStream publish (with a message id, so a redelivered hop's second publish is dropped by the
 * server) plus one ack (DESIGN §3). Runs are scoped like this: the driver's bus learns its run in
 * `openRun`; a worker serves many runs through `forRun(runId)` views. `consume` without a run uses
 * the single open run, and waits for `openRun` when none is open yet.
 */
import { hostname } from "node:os";
import {
  AckPolicy,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import { headers, nanos, type NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { BusError, MatrixError, serializeError, type TaskValidationError } from "../../errors.js";
import type { RunEvent } from "../../schema/event.js";
import type { LlmSelection } from "../../schema/llm-selection.js";
import type { PipelineDefinition } from "../../schema/pipeline-definition.js";
import { SINK, type Task } from "../../schema/task.js";
import type { ContentRef } from "../../schema/turn.js";
import type { RunSignature } from "../../trust/run-signature.js";
import type { Bus, BusConsumer, ConsumeOptions, DeliveryHandler } from "../bus.js";
import type { SharedStore } from "../shared-store.js";
import { connectNats } from "./connect-nats.js";
import type { NatsConnectionOptions } from "./connection-options.js";
import { ContentStore } from "./content-store.js";
import { isAlreadyCreated } from "./jetstream-errors.js";
import { JetStreamPublisher } from "./jetstream-publisher.js";
import { NatsSharedStore, openSharedBucket } from "./shared-kv-store.js";
import { EventPublisher, subscribeEvents } from "./event-channel.js";
import { names } from "./names.js";
import { startRoleConsumer } from "./role-consumer.js";
import { serveRunControl, type ControlRequest } from "./run-control.js";
import { RunLeases } from "./run-lease.js";
import { removeRun } from "./run-removal.js";
import { openKv, putRun, type RunRecord } from "./run-registry.js";
import { decodeTask, failedTaskFor } from "./task-codec.js";

/**
 * Measured with bench/nats-bus.ts (docs/cluster.md): a text up to 512 KiB is offloaded as one message
 * to the run's content stream (a publish sent with the hops, read back with one direct get), so on
 * a 20-turn conversation of 2,000-character turns offloading at 1 KiB carries 80% fewer bytes per hop
 * and runs no slower than carrying every turn inline (smaller messages to copy, parse and validate).
 */
export const DEFAULT_OFFLOAD_THRESHOLD = 1024;

/** A task larger than this on the wire is re-offloaded with the small threshold below (max_payload is 1 MB). */
const MAX_TASK_BYTES = 768 * 1024;
const SMALL_THRESHOLD = 1024;

export interface NatsBusOptions {
  /** Turn contents and rows larger than this many bytes are offloaded (content-store.ts). 0 = never. @default 1024 */
  offloadThreshold?: number;
  /** Time a delivery may go without an ack or in-progress signal before redelivery. @default 30000 */
  ackWaitMs?: number;
  /** Deliveries of one message before the server gives up (then it is dead-lettered). @default 10 */
  maxDeliver?: number;
  /** Unacked tasks per role across all instances: the cluster-wide backpressure. @default 1000 */
  maxAckPending?: number;
  /** JetStream replicas for streams, KV and objects (3 on a 3-node cluster). @default MATRIX_NATS_REPLICAS, else 1 */
  replicas?: number;
  /** How long a publish keeps retrying while the server is away (restart, failover). @default 120000 */
  publishTimeoutMs?: number;
  /** Bytes of offloaded content cached per process. @default 64 MiB */
  cacheBytes?: number;
  logger?: Logger;
}

/** What a driver opens a run with (Bus.openRun, plus what only NATS workers need). */
export interface OpenRun {
  runId: string;
  definition: PipelineDefinition;
  modules?: Readonly<Record<string, { path: string; code: string }>>;
  /** The LLM every worker uses for the run (never keys). */
  llm?: LlmSelection;
  settings?: RunRecord["settings"];
  /** Signs the record (the driver's --signing-key); workers with trusted keys refuse unsigned runs. */
  sign?: (record: object) => RunSignature;
}

interface PendingConsumer {
  role: string;
  handler: DeliveryHandler;
  options: ConsumeOptions;
  started?: BusConsumer;
  stopped: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class NatsBus implements Bus {
  readonly kind = "nats";
  readonly js: JetStreamClient;
  readonly content: ContentStore;
  readonly events: EventPublisher;
  private readonly publisher: JetStreamPublisher;
  private jsmPromise: Promise<JetStreamManager> | undefined;
  private runsKv: Promise<KV> | undefined;
  private leasesKv: Promise<RunLeases> | undefined;
  /** Runs this bus opened as their driver, with the advisory subscription to unsubscribe. */
  private readonly openRuns = new Map<string, { unsubscribe: () => void; roles: string[] }>();
  private readonly waiting: PendingConsumer[] = [];
  private readonly depths = new Map<string, { value: number; at: number }>();
  /** KV buckets of runs' shared stores, opened on first use (recent runs only: a worker serves many). */
  private readonly sharedBuckets = new Map<string, Promise<KV>>();
  private closed = false;
  /** Runs withdrawn while this process still held hops of theirs (abandonRun); recent ones only. */
  private readonly abandoned = new Set<string>();
  /** Tasks this bus published and their bytes on the wire (offloaded content not included). */
  readonly stats = { published: 0, publishedBytes: 0 };
  readonly settings: Required<Omit<NatsBusOptions, "logger">>;

  constructor(
    readonly connection: NatsConnection,
    options: NatsBusOptions = {},
  ) {
    this.settings = {
      offloadThreshold: options.offloadThreshold ?? DEFAULT_OFFLOAD_THRESHOLD,
      ackWaitMs: options.ackWaitMs ?? 30_000,
      maxDeliver: options.maxDeliver ?? 10,
      maxAckPending: options.maxAckPending ?? 1000,
      replicas: options.replicas ?? (Number(process.env.MATRIX_NATS_REPLICAS) || 1),
      publishTimeoutMs: options.publishTimeoutMs ?? 120_000,
      cacheBytes: options.cacheBytes ?? 64 * 1024 * 1024,
    };
    this.logger = options.logger;
    this.js = jetstream(connection, { timeout: 10_000 });
    this.publisher = new JetStreamPublisher(connection);
    this.content = new ContentStore(connection, {
      publish: (subject, data, msgID) => this.publisher.publish(subject, data, msgID, 10_000),
      threshold: this.settings.offloadThreshold,
      cacheBytes: this.settings.cacheBytes,
      replicas: this.settings.replicas,
    });
    this.events = new EventPublisher(connection);
  }
  private readonly logger: Logger | undefined;

  jsm(): Promise<JetStreamManager> {
    this.jsmPromise ??= jetstreamManager(this.connection, { timeout: 10_000 });
    this.jsmPromise.catch(() => (this.jsmPromise = undefined));
    return this.jsmPromise;
  }

  runs(): Promise<KV> {
    this.runsKv ??= openKv(this.connection, names.runsBucket, { replicas: this.settings.replicas });
    this.runsKv.catch(() => (this.runsKv = undefined));
    return this.runsKv;
  }

  /** Creates the run's stream and one durable consumer per role (idempotent). */
  async ensureRun(runId: string, roles: readonly string[], maxAttempts = 3): Promise<void> {
    const jsm = await this.jsm();
    const stream = names.stream(runId);
    const config = {
      name: stream,
      subjects: [names.streamSubjects(runId)],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      num_replicas: this.settings.replicas,
      duplicate_window: nanos(120_000),
      description: `matrix run ${runId}`,
    };
    try {
      await jsm.streams.add(config);
    } catch (error) {
      if (!isAlreadyCreated(error)) throw error;
      // The name is taken by a stream with other settings. Re-opening a run with, say, another replica
      // count keeps its queues; a stream that does not take this run's subjects as a work queue is not
      // this run's, and using it would publish into nothing (or into somebody else's stream).
      const existing = (await jsm.streams.info(stream)).config;
      if (existing.retention !== RetentionPolicy.Workqueue || !existing.subjects?.includes(config.subjects[0]!))
        throw new BusError(
          `Cannot open run '${runId}': stream ${stream} exists but is not its queue (subjects ` +
            `${JSON.stringify(existing.subjects ?? [])}, retention ${existing.retention}). Choose another run id, ` +
            `or delete that stream if nothing uses it.`,
        );
    }
    const maxDeliver = Math.max(this.settings.maxDeliver, maxAttempts + 1);
    for (const role of new Set([...roles, SINK])) {
      await jsm.consumers.add(stream, {
        durable_name: names.consumer(role),
        description: role,
        filter_subject: names.subject(runId, role),
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: nanos(this.settings.ackWaitMs),
        max_deliver: maxDeliver,
        max_ack_pending: this.settings.maxAckPending,
      });
    }
  }

  leases(): Promise<RunLeases> {
    this.leasesKv ??= RunLeases.open(this.connection, { replicas: this.settings.replicas });
    this.leasesKv.catch(() => (this.leasesKv = undefined));
    return this.leasesKv;
  }

  async openRun(run: OpenRun): Promise<void> {
    const roles = Object.keys(run.definition.roles);
    await this.ensureRun(run.runId, roles, run.definition.options.maxAttempts ?? 3);
    this.attachRun(run.runId, roles);
    // Created here, so workers never need the right to create streams (docs/cluster.md, permissions).
    await this.content.ensureStore(run.runId);
    // Likewise the shared bucket of roles that share state across workers (dedup indexes).
    if (Object.values(run.definition.roles).some((role) => role.kind === "dedup")) {
      this.sharedBuckets.set(run.runId, openSharedBucket(this.connection, run.runId, this.settings.replicas));
      await this.sharedBuckets.get(run.runId);
    }
    // Workers need roles, flow, params and options, not the rows: an inline source could exceed a KV value.
    const { source: _source, ...definition } = run.definition;
    // Bundles go to the run's content store before the record that names them, so a worker never sees a dangling ref.
    const modules: Record<string, ContentRef & { path: string }> = {};
    for (const [name, bundle] of Object.entries(run.modules ?? {}))
      modules[name] = { path: bundle.path, ...(await this.content.storeText(run.runId, bundle.code)) };
    const record: RunRecord = {
      runId: run.runId,
      definition: definition as PipelineDefinition,
      bus: { offloadThreshold: this.settings.offloadThreshold },
      ...(Object.keys(modules).length > 0 ? { modules } : {}),
      ...(run.llm ? { llm: run.llm } : {}),
      ...(run.settings ? { settings: run.settings } : {}),
      created: Date.now(),
      driver: { host: hostname(), pid: process.pid },
    };
    await putRun(await this.runs(), run.sign ? { ...record, signature: run.sign(record) } : record);
  }

  /**
   * Drives a run that is already on NATS (opened here or adopted from a driver that died): its
   * max-delivery advisories come here, and local agents waiting for a run start on it.
   */
  attachRun(runId: string, roles: string[]): void {
    if (this.openRuns.has(runId)) return;
    this.openRuns.set(runId, { unsubscribe: this.watchMaxDeliveries(runId), roles });
    for (const pending of this.waiting.splice(0)) {
      if (!pending.stopped) pending.started = this.consumeRun(runId, pending.role, pending.handler, pending.options);
    }
  }

  /** Stops driving `runId` without removing it (a detached run, left for `matrix attach`). */
  detachRun(runId: string): void {
    this.openRuns.get(runId)?.unsubscribe();
    this.openRuns.delete(runId);
  }

  async closeRun(runId: string): Promise<void> {
    this.detachRun(runId);
    // Withdraw the run first so workers stop its agents, then remove its queues, objects and lease.
    await removeRun(runId, {
      jsm: await this.jsm(),
      runs: await this.runs(),
      content: this.content,
      leases: await this.leases().catch(() => undefined),
      as: "driver",
    });
    this.sharedBuckets.delete(runId);
  }

  /** The run's shared store `name` (a dedup role's index) in the run's KV bucket, on every worker alike. */
  sharedStore(runId: string, name: string): SharedStore {
    let bucket = this.sharedBuckets.get(runId);
    if (bucket === undefined) {
      if (this.sharedBuckets.size >= 64) this.sharedBuckets.delete(this.sharedBuckets.keys().next().value!);
      bucket = openSharedBucket(this.connection, runId, this.settings.replicas);
      bucket.catch(() => this.sharedBuckets.delete(runId));
      this.sharedBuckets.set(runId, bucket);
    }
    return new NatsSharedStore(bucket, name);
  }

  /**
   * A message the server stopped delivering after max_deliver (a worker crashing on it every time):
   * the driver turns it into a failed task for the dead letters, so the run ends instead of waiting.
   */
  private watchMaxDeliveries(runId: string): () => void {
    const stream = names.stream(runId);
    const subscription = this.connection.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${stream}.*`, {
      callback: (error, msg) => {
        if (error) return;
        void (async () => {
          const advisory = JSON.parse(new TextDecoder().decode(msg.data)) as { stream_seq: number; deliveries: number };
          const jsm = await this.jsm();
          const stored = await jsm.streams.getMessage(stream, { seq: advisory.stream_seq });
          if (stored === null) return;
          const decoded = decodeTask(stored.data);
          const reason = new BusError(
            `Task was delivered ${advisory.deliveries} times without being acked (max_deliver); the agent handling it may be crashing.`,
          );
          const task = decoded.ok ? decoded.task : failedTaskFor(decoded.raw, decoded.error);
          if (task) {
            task.status = "failed";
            task.reason = "max-deliveries";
            task.error = serializeError(reason);
            task.cursor = SINK;
            task.timestamps.finished = Date.now();
            await this.publish(SINK, task);
          }
          await jsm.streams.deleteMessage(stream, advisory.stream_seq);
        })().catch((error: unknown) =>
          this.logger?.error({ runId, err: error }, "dead-lettering an undeliverable task failed"),
        );
      },
    });
    return () => subscription.unsubscribe();
  }

  /**
   * Stops retrying publishes of a run that is gone (a worker saw it withdrawn): its stream is removed,
   * so a hop in hand would retry "no responders" for publishTimeoutMs, and the worker, waiting for
   * that hop before it lets the run go, served no run registered after it.
   */
  abandonRun(runId: string): void {
    if (this.abandoned.size >= 1024) this.abandoned.delete(this.abandoned.values().next().value!);
    this.abandoned.add(runId);
  }

  /** Publishes of `runId` go out again: it was registered again after being withdrawn. */
  reviveRun(runId: string): void {
    this.abandoned.delete(runId);
  }

  async publish(role: string, task: Task): Promise<void> {
    if (this.closed) throw new BusError(`Cannot publish task ${task.id} to '${role}': the bus is closed.`);
    if (this.abandoned.has(task.runId))
      throw new BusError(`Cannot publish task ${task.id} to '${role}': run ${task.runId} was withdrawn.`);
    const encoded = this.content.encode(task);
    let data = encoded instanceof Promise ? await encoded : encoded;
    // Too big for one message even after offloading at the threshold: offload everything sizeable.
    if (data.length > MAX_TASK_BYTES) data = await this.content.encode(task, SMALL_THRESHOLD);
    const subject = names.subject(task.runId, role);
    // The id names this hop's successor: a redelivered hop publishes the same id and the server drops it.
    // A re-queued dead letter (`retries`) repeats hops it made before, so it is part of the id.
    const msgID = `${task.id}|${task.retries ?? 0}|${task.hops}|${role}`;
    const deadline = Date.now() + this.settings.publishTimeoutMs;
    for (let attempt = 0; ; attempt++) {
      try {
        // A short timeout: a request lost with a dying server is retried after 3 s, not 10 (the msgID
        // makes a retry of a publish that did land harmless).
        await this.publisher.publish(subject, data, msgID, 3000);
        this.stats.published++;
        this.stats.publishedBytes += data.length;
        return;
      } catch (error) {
        const gone = this.abandoned.has(task.runId);
        if (this.closed || gone || Date.now() > deadline || !transient(error))
          throw new BusError(
            `Publishing task ${task.id} to '${role}' failed: ${gone ? `run ${task.runId} was withdrawn; ` : ""}${(error as Error)?.message ?? error}`,
            { cause: error, isRetryable: !gone && transient(error) },
          );
        await sleep(Math.min(2000, 50 * 2 ** attempt));
      }
    }
  }

  consume(role: string, handler: DeliveryHandler, options: ConsumeOptions): BusConsumer {
    if (this.closed) throw new BusError(`Cannot consume '${role}': the bus is closed.`);
    if (options.runId !== undefined) return this.consumeRun(options.runId, role, handler, options);
    if (this.openRuns.size > 1)
      throw new BusError(
        `Cannot consume '${role}': several runs are open on this bus; pass { runId } or use forRun().`,
      );
    const [runId] = this.openRuns.keys();
    if (runId !== undefined) return this.consumeRun(runId, role, handler, options);
    // Agents started before openRun (local agents on a NATS bus): begin when the run opens.
    const pending: PendingConsumer = { role, handler, options, stopped: false };
    this.waiting.push(pending);
    return {
      stop: async () => {
        pending.stopped = true;
        await pending.started?.stop();
      },
    };
  }

  /** Consumes `role` of `runId`. Tasks are validated; rows and turns are restored (for the sink, without their refs). */
  consumeRun(runId: string, role: string, handler: DeliveryHandler, options: ConsumeOptions): BusConsumer {
    return startRoleConsumer({
      js: this.js,
      stream: names.stream(runId),
      consumer: names.consumer(role),
      role,
      handler,
      concurrency: options.concurrency,
      workingEveryMs: Math.max(100, Math.floor(this.settings.ackWaitMs / 3)),
      prepare: role === SINK ? (task) => this.content.restoreAll(task) : (task) => this.content.restore(task),
      onCorrupt: (msg, error) => this.deadLetterCorrupt(runId, msg, error),
      sendAck: (msg) => this.publisher.ack(msg),
      logger: this.logger,
    });
  }

  /** Keeps the raw bytes on the run's dead subject, with the error as headers, and fails what it can. */
  private async deadLetterCorrupt(runId: string, msg: JsMsg, error: TaskValidationError): Promise<void> {
    const h = headers();
    h.set("Matrix-Error-Code", error.code);
    h.set("Matrix-Error", error.message.slice(0, 1000));
    h.set("Matrix-Subject", msg.subject);
    await this.js.publish(names.deadSubject(runId), msg.data, { headers: h, msgID: `dead|${msg.seq}` });
    let raw: unknown;
    try {
      raw = JSON.parse(new TextDecoder().decode(msg.data));
    } catch {
      return;
    }
    const failed = failedTaskFor(raw, error);
    if (failed) await this.publish(SINK, { ...failed, runId });
  }

  /** A view of this bus bound to one run: what a worker hands to the agents of that run. */
  forRun(runId: string): Bus {
    return {
      kind: this.kind,
      publish: (role, task) => this.publish(role, task),
      consume: (role, handler, options) => this.consumeRun(runId, role, handler, options),
      depth: (role) => this.depthOf(runId, role),
      sharedStore: (storeRunId, name) => this.sharedStore(storeRunId, name),
      close: async () => {},
    };
  }

  depth(role: string): number {
    const [runId] = this.openRuns.keys();
    return runId === undefined ? 0 : this.depthOf(runId, role);
  }

  /** Best effort and synchronous: the last known count, refreshed in the background at most once a second. */
  private depthOf(runId: string, role: string): number {
    const key = `${runId}/${role}`;
    const known = this.depths.get(key);
    if (!this.closed && (known === undefined || Date.now() - known.at > 1000)) {
      this.depths.set(key, { value: known?.value ?? 0, at: Date.now() });
      void this.jsm()
        .then((jsm) => jsm.consumers.info(names.stream(runId), names.consumer(role)))
        .then((info) => this.depths.set(key, { value: info.num_pending, at: Date.now() }))
        .catch(() => {});
    }
    return known?.value ?? 0;
  }

  /** Tasks waiting in `role`'s queue of `runId`, asked of the server now (a metrics scrape). */
  async queueDepth(runId: string, role: string): Promise<number> {
    const info = await (await this.jsm()).consumers.info(names.stream(runId), names.consumer(role));
    return info.num_pending;
  }

  onEvent(runId: string, listener: (event: RunEvent) => void): () => void {
    return subscribeEvents(this.connection, runId, listener);
  }

  onControl(runId: string, handler: (request: ControlRequest) => Promise<unknown>): () => void {
    return serveRunControl(this.connection, runId, handler);
  }

  /** Sends an event to the driver of `runId` (batched). */
  emit(runId: string, event: RunEvent): void {
    this.events.emit(runId, event);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const open of this.openRuns.values()) open.unsubscribe();
    this.events.flush();
    this.publisher.flush();
    this.closed = true;
    // Drained first, so publishes already sent get their acks; whatever is still waiting then fails.
    if (!this.connection.isClosed()) await this.connection.drain().catch(() => this.connection.close());
    this.publisher.close();
  }
}

/** Errors worth retrying a publish for: the server is away, restarting or slow. */
function transient(error: unknown): boolean {
  if (MatrixError.isInstance(error)) return error.isRetryable;
  const cause = (error as Error)?.cause as Error | undefined;
  const text = `${(error as Error)?.name} ${(error as Error)?.message} ${cause?.name ?? ""} ${cause?.message ?? ""}`;
  // "jetstream is not enabled" (no responders) is what a restarting server says until its streams are back.
  return /timeout|no responders|not enabled|disconnect|connection|closed|503|unavailable|reconnect/i.test(text);
}

/** Connects and returns a bus. Throws NatsAuthError when credentials are refused. */
export async function createNatsBus(options: NatsConnectionOptions & NatsBusOptions): Promise<NatsBus> {
  const connection = await connectNats(options);
  return new NatsBus(connection, options);
}
