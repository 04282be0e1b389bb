/**
 * The workers' sweep for abandoned runs: a run whose driver's lease expired longer ago than its grace
 * period (and that no driver adopted) is removed: registry record, stream with its consumers, object
 * store, lease. One worker claims each removal by compare-and-set on the lease, so they do not race.
 *
 * Where you are: `worker/`. Every worker sweeps every `sweepMs`; the sweep also returns the runs still
 * registered, so a worker leaves runs another worker removed (a purge through the JetStream API, which
 * the registry watch does not see). A run with no lease at all (its driver died before writing one, or
 * an older driver) counts from its record's creation time.
 */
import type { Logger } from "pino";
import type { NatsBus } from "../bus/nats/nats-bus.js";
import { token } from "../bus/nats/names.js";
import { leaseState, type LeaseEntry, type RunLease } from "../bus/nats/run-lease.js";
import { removeRun } from "../bus/nats/run-removal.js";
import { listRuns } from "../bus/nats/run-registry.js";

/** A claim older than this was left by a worker that died while removing: another may take it over. */
const STALE_CLAIM_MS = 5 * 60_000;

export interface SweepResult {
  /** Run tokens still registered. */
  registered: Set<string>;
  removed: string[];
}

export async function sweepAbandonedRuns(options: {
  bus: NatsBus;
  workerId: string;
  /** Grace of a run that has no lease. */
  defaultGraceMs: number;
  logger?: Logger;
  now?: number;
}): Promise<SweepResult> {
  const { bus, logger } = options;
  const now = options.now ?? Date.now();
  const runsKv = await bus.runs();
  const leases = await bus.leases();
  const records = await listRuns(bus.connection);
  const leaseEntries = await leases.list();
  const registered = new Set(records.map((record) => token(record.runId)));
  const candidates = new Map<string, { runId: string; entry?: LeaseEntry }>();
  for (const record of records)
    candidates.set(token(record.runId), { runId: record.runId, entry: leaseEntries.get(token(record.runId)) });
  // A lease whose record is gone: a removal that stopped half-way, or a driver that died before opening.
  for (const [key, entry] of leaseEntries)
    if (!candidates.has(key)) candidates.set(key, { runId: entry.lease.runId, entry });
  const removed: string[] = [];
  for (const [key, { runId, entry }] of candidates) {
    const record = records.find((r) => token(r.runId) === key);
    let claimed = false;
    const claim: RunLease["removing"] = { by: options.workerId, at: now };
    try {
      if (entry === undefined) {
        if (record === undefined || now - record.created <= options.defaultGraceMs) continue;
        // No lease to compare-and-set on: creating one is the claim (fails if another worker made it).
        await leases.create({
          runId,
          holder: record.driver,
          ttlMs: 0,
          graceMs: options.defaultGraceMs,
          feed: { position: 0, seq: 0, done: false },
          removing: claim,
        });
        claimed = true;
      } else {
        const { state, expiredMs } = leaseState(entry, now);
        const staleClaim = state === "removing" && now - (entry.lease.removing?.at ?? 0) > STALE_CLAIM_MS;
        if (state !== "abandoned" && !staleClaim) continue;
        await leases.update({ ...entry.lease, removing: claim }, entry.revision);
        claimed = true;
        logger?.warn(
          { runId, driver: entry.lease.holder, expiredMs, graceMs: entry.lease.graceMs },
          "removing an abandoned run: its driver's lease expired longer ago than its grace period",
        );
      }
    } catch (error) {
      // Another worker claimed it first (wrong last sequence), or the server is away: not ours now.
      if (!claimed) logger?.debug({ runId, err: error }, "not claiming the removal of a run");
      continue;
    }
    try {
      await removeRun(runId, { jsm: await bus.jsm(), runs: runsKv, content: bus.content, leases, as: "worker" });
      registered.delete(key);
      removed.push(runId);
      logger?.warn({ runId }, "abandoned run removed (record, stream, consumers, objects, lease)");
    } catch (error) {
      logger?.error({ runId, err: error }, "removing an abandoned run failed; another sweep will retry");
    }
  }
  return { registered, removed };
}
