/**
 * A NATS run seen from its driver: start it (lease first, then the signed record), or adopt the run
 * an earlier driver left in the same output directory (`resume`), or collect a detached one
 * (`attach`); record feed checkpoints in the lease; and at the end remove the run, or leave it on
 * purpose (detach).
 *
 * Where you are: `pipeline/`, beside run-pipeline.ts (which calls this only on a NATS bus). The output
 * directory remembers its run in `run.json`, so `--resume` finds the run to adopt. Adoption reads what
 * the earlier driver fed from its last checkpoint and the run's queues (bus/nats/run-queues.ts):
 * nothing it fed is fed again, and the run ends when its queues are empty.
 */
import type { KeyObject } from "node:crypto";
import { hostname } from "node:os";
import type { Logger } from "pino";
import { listEndpoints } from "../bus/nats/endpoint-registry.js";
import type { NatsBus } from "../bus/nats/nats-bus.js";
import { LeaseHolder, leaseState, type LeaseEntry, type RunLease, type RunLeases } from "../bus/nats/run-lease.js";
import { lastSequence, queuedMessages, queuedTaskIds } from "../bus/nats/run-queues.js";
import { getRun, type RunRecord } from "../bus/nats/run-registry.js";
import { removeRun } from "../bus/nats/run-removal.js";
import type { AdoptedFeed } from "../driver/driver.js";
import { BusError, ConfigError } from "../errors.js";
import type { ModuleBundle } from "../flow/module-loader.js";
import type { LlmSelection } from "../schema/llm-selection.js";
import type { PipelineDefinition } from "../schema/pipeline-definition.js";
import { canonicalJson, signRunRecord } from "../trust/index.js";
import { describeLlmSelection, registeredLlmOption, selectRunLlm } from "./llm-selection.js";
import { resolveLlm } from "./resolve-llm.js";
import type { RunOptions } from "./run-pipeline.js";
import { writeRunFile } from "./run-file.js";

export { watchWorkerErrors } from "./worker-errors.js";

/** Lease renewal period × 3: a driver silent this long is gone. @default 15 s */
export const DEFAULT_LEASE_MS = 15_000;
/** How long an expired run waits for a driver to adopt it before workers remove it. @default 10 min */
export const DEFAULT_ABANDON_AFTER_MS = 10 * 60_000;
/** How long a detached run waits for `matrix attach`. @default 24 h */
export const DEFAULT_DETACHED_MS = 24 * 60 * 60_000;

export interface ClusterRunOptions {
  bus: NatsBus;
  runId: string;
  /** `start` a new run; `resume`: adopt the run if it is still on NATS, else start it; `attach`: collect a detached run. */
  mode: "start" | "resume" | "attach";
  definition?: PipelineDefinition;
  bundles?: Readonly<Record<string, { path: string; code: string }>>;
  selection?: LlmSelection;
  settings?: NonNullable<RunRecord["settings"]>;
  signingKey?: KeyObject;
  out?: string;
  /** @default DEFAULT_LEASE_MS */
  leaseMs?: number;
  /** @default DEFAULT_ABANDON_AFTER_MS */
  abandonAfterMs?: number;
  /** The run's logger (it carries the run id). */
  logger: Logger;
  /** The lease was taken over (another driver adopted the run, or workers removed it). */
  onLost: (error: BusError) => void;
}

export interface ClusterRun {
  /** Set when this driver continues a run another one started. */
  adopt?: AdoptedFeed;
  /** The run's record as workers see it (an adopted run keeps its own LLM selection). */
  record: RunRecord;
  checkpoint(feed: { position: number; done: boolean }): Promise<void>;
  /**
   * Ends the driver's part: removes the run from NATS, or with `keep` leaves it on purpose (a
   * detached run, an interrupted attach) for `keepForMs` (default 24 h), for `matrix attach` or
   * `--resume`; `fedAll`: every row was fed. A driver that lost its lease touches nothing.
   */
  finish(how: { keep: boolean; fedAll: boolean; keepForMs?: number }): Promise<void>;
  /** The lease was lost: stop renewing and touch nothing. */
  readonly lost: BusError | undefined;
}

function age(ms: number): string {
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}

export async function openClusterRun(options: ClusterRunOptions): Promise<ClusterRun> {
  const { bus, runId, logger } = options;
  const leases = await bus.leases();
  const runsKv = await bus.runs();
  const jsm = await bus.jsm();
  const me = { host: hostname(), pid: process.pid };
  const existing = options.mode === "start" ? undefined : await getRun(runsKv, runId);
  if (options.mode === "attach" && existing === undefined)
    throw new ConfigError("runId", `no run ${runId} on NATS (finished, removed as abandoned, or never started)`);

  let holder: LeaseHolder;
  let record: RunRecord;
  let adopt: AdoptedFeed | undefined;
  const newLease = (feed: RunLease["feed"]): RunLease => ({
    runId,
    holder: me,
    ttlMs: options.leaseMs ?? DEFAULT_LEASE_MS,
    graceMs: options.abandonAfterMs ?? DEFAULT_ABANDON_AFTER_MS,
    feed,
  });
  const hold = (lease: RunLease, revision: number) =>
    new LeaseHolder(leases, { lease, revision }, { onLost: options.onLost, logger });

  if (existing !== undefined) {
    record = existing;
    checkSameRun(existing, options);
    const entry = await awaitSilentDriver(leases, runId, logger);
    let feed: RunLease["feed"] = { position: 0, seq: 0, done: false };
    if (entry === undefined) {
      // No lease (its driver died before writing one): everything in the stream counts as fed.
      holder = hold(newLease(feed), await leases.create(newLease(feed)));
    } else {
      const { state } = leaseState(entry);
      if (state === "removing")
        throw new ConfigError("resume", `run ${runId} is being removed as abandoned; try again in a minute`);
      if (options.mode === "attach" && !entry.lease.feed.done)
        throw new ConfigError(
          "runId",
          `run ${runId}'s driver stopped before it fed every row: continue it with the pipeline, \`matrix run <pipeline> --resume --out <its output directory>\``,
        );
      feed = entry.lease.feed;
      const taken = newLease(feed);
      holder = hold(taken, await leases.update(taken, entry.revision));
      // A detached run is meant to be attached to: news, not a warning. A driver that died is worth one.
      logger[state === "detached" ? "info" : "warn"](
        { driver: entry.lease.holder, state, position: feed.position },
        `adopting run ${runId} (its driver ${entry.lease.holder.host}:${entry.lease.holder.pid} left ${age(Date.now() - entry.written)} ago)`,
      );
    }
    bus.attachRun(runId, Object.keys(existing.definition.roles));
    const queued = await queuedTaskIds(jsm, runId, feed.seq);
    adopt = {
      position: options.mode === "attach" ? Number.POSITIVE_INFINITY : feed.position,
      queued,
      drained: async () => (await queuedMessages(jsm, runId)) === 0,
    };
  } else {
    if (!options.definition) throw new ConfigError("definition", "a new run needs its pipeline definition");
    if (options.mode === "resume")
      // The run this directory belonged to is gone; remove whatever a half-finished removal left.
      await removeRun(runId, { jsm, runs: runsKv, content: bus.content, leases, as: "driver" });
    const lease = newLease({ position: 0, seq: 0, done: false });
    // The lease before the record: a worker never sees a record without one (that would count as
    // an older driver's run and start its grace period from the record's creation).
    holder = hold(lease, await leases.create(lease));
    const signingKey = options.signingKey;
    await bus.openRun({
      runId,
      definition: options.definition,
      modules: options.bundles,
      llm: options.selection,
      settings: options.settings,
      ...(signingKey ? { sign: (unsigned: object) => signRunRecord(unsigned, signingKey) } : {}),
    });
    record = (await getRun(runsKv, runId))!;
  }
  if (options.out && options.mode !== "attach")
    writeRunFile(options.out, { runId, pipeline: record.definition.name, created: record.created });

  return {
    adopt,
    record,
    checkpoint: async (feed) => {
      // Read before the next publish: every task fed after this point gets a larger sequence. A
      // checkpoint missed (the server away) only widens what an adopter scans: never fatal.
      try {
        const seq = await lastSequence(jsm, runId);
        void holder.checkpoint({ ...feed, seq });
      } catch (error) {
        logger.debug({ err: error }, "recording a feed checkpoint failed; the next one will");
      }
    },
    finish: async ({ keep, fedAll, keepForMs }) => {
      holder.stop();
      await holder.flush();
      if (holder.lost) return;
      if (!keep) return bus.closeRun(runId);
      await holder.detach(keepForMs ?? DEFAULT_DETACHED_MS, fedAll);
      bus.detachRun(runId);
    },
    get lost() {
      return holder.lost;
    },
  };
}

/**
 * The run's lease once its driver is known to be gone. A lease still within its TTL may belong to a
 * driver that just died (the usual case when `--resume` follows a crash at once): wait until the
 * TTL has passed since its last renewal; renewed meanwhile, the driver is alive and the run is its.
 */
async function awaitSilentDriver(leases: RunLeases, runId: string, logger: Logger): Promise<LeaseEntry | undefined> {
  const entry = await leases.read(runId);
  if (entry === undefined || leaseState(entry).state !== "held") return entry;
  const waitMs = Math.max(0, entry.written + entry.lease.ttlMs - Date.now()) + 100;
  logger.warn(
    { driver: entry.lease.holder },
    `run ${runId} has a live lease; waiting ${age(waitMs)} to see whether its driver is gone`,
  );
  // The lease's TTL is the only clock that says a silent driver is gone.
  await new Promise((resolve) => setTimeout(resolve, waitMs));
  const again = await leases.read(runId);
  if (again !== undefined && again.revision !== entry.revision && leaseState(again).state === "held")
    throw new ConfigError(
      "resume",
      `run ${runId} is still driven by ${again.lease.holder.host}:${again.lease.holder.pid} (its lease was renewed just now): stop that driver first`,
    );
  return again;
}

/**
 * A run adopted with other id settings would mix two datasets: refused. Another definition (a fixed
 * prompt, or the same functions printed by another transpiler) is allowed and noted: workers go on
 * with the definition in the run's record, as resume allows a changed pipeline and says so.
 */
function checkSameRun(record: RunRecord, options: ClusterRunOptions): void {
  if (options.definition) {
    const { source: _source, ...definition } = options.definition;
    if (canonicalJson(definition) !== canonicalJson(record.definition))
      options.logger.warn(
        "this pipeline differs from the one the adopted run was started with; its workers go on with the run's own",
      );
  }
  if (options.settings && record.settings) {
    for (const key of ["trials", "idField", "seed"] as const)
      if (options.settings[key] !== record.settings[key])
        throw new ConfigError(
          key,
          `run ${record.runId} was started with ${key} ${JSON.stringify(record.settings[key])}, this driver has ${JSON.stringify(options.settings[key])}; ids or seeds would not match`,
        );
  }
}

/** The LLM selection of a NATS run (what workers will use); what stays with the driver is said once. */
export async function selectNatsLlm(
  bus: NatsBus,
  options: RunOptions,
  model: string | undefined,
  localAgents: boolean,
  logger: Logger,
): Promise<LlmSelection> {
  const { selection, notes } = await selectRunLlm({
    llm: options.llm,
    model,
    simulator: options.simulator,
    registeredEndpoints: async () => (await listEndpoints(bus.connection).catch(() => [])).length,
  });
  if (selection.kind === "driver" && !localAgents)
    throw new ConfigError(
      "llm",
      "an LlmClient object cannot travel to NATS workers: pass a base URL or pool options (or localAgents: true)",
    );
  for (const note of notes) logger.warn(note);
  return selection;
}

/** The line the driver prints about its run's LLM; a `registered` run names the endpoints registered now. */
export async function describeRunLlm(bus: NatsBus, selection: LlmSelection): Promise<string> {
  if (selection.kind !== "registered") return describeLlmSelection(selection);
  const endpoints = await listEndpoints(bus.connection).catch(() => undefined);
  return describeLlmSelection(
    selection,
    endpoints?.map((endpoint) => {
      const about = [endpoint.model, endpoint.kind === "other" ? undefined : endpoint.kind].filter(Boolean);
      return about.length > 0 ? `${endpoint.url} (${about.join(", ")})` : endpoint.url;
    }),
  );
}

/** The driver's own agents on a run that uses the registered endpoints: the same endpoints. */
export async function registeredLocalLlm(bus: NatsBus, model: string | undefined, logger: Logger) {
  const registered = registeredLlmOption(await listEndpoints(bus.connection), model);
  return resolveLlm(registered.option, { model: registered.model, logger });
}

/** A run's module bundles as its driver shipped them (for the summary metrics of `attachRun`). */
export async function shippedBundles(bus: NatsBus, runId: string): Promise<Record<string, ModuleBundle>> {
  const record = await getRun(await bus.runs(), runId);
  const bundles: Record<string, ModuleBundle> = {};
  for (const [name, ref] of Object.entries(record?.modules ?? {}))
    bundles[name] = { name, path: ref.path, code: await bus.content.get(runId, ref) };
  return bundles;
}
