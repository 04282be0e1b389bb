/**
 * A driver's lease on its run: a KV entry renewed every `ttlMs / 3` with compare-and-set, holding the
 * feed checkpoint (every source row before `position` was fed; everything fed later has stream
 * sequence > `seq`). A lease not renewed for `ttlMs` has expired: its driver is gone. Another driver
 * may then adopt the run (`--resume` on the same output directory); after `graceMs` more, workers
 * remove it. A detached run's lease is not renewed on purpose and carries a long grace.
 *
 * Where you are: `bus/nats/`. Ages use the entry's server timestamp (one clock for every machine)
 * against the reader's clock, so clock skew between machines shifts expiry by the skew only. Every
 * write is a CAS on the last revision: a driver whose lease was taken over (adopted, or claimed for
 * removal) learns it on its next renewal and stops instead of writing beside the new holder.
 */
import type { KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { BusError } from "../../errors.js";
import { jsonOf, kvEntries } from "./kv-entries.js";
import { names, token } from "./names.js";
import { openKv } from "./run-registry.js";

export interface FeedCheckpoint {
  /** Source items before this one were all fed (every trial). */
  position: number;
  /** The run stream's last sequence when the checkpoint was taken: later feeds have higher ones. */
  seq: number;
  /** Every source item was fed. */
  done: boolean;
}

export interface RunLease {
  runId: string;
  holder: { host: string; pid: number };
  ttlMs: number;
  graceMs: number;
  detached?: boolean;
  feed: FeedCheckpoint;
  /** Set by the worker that removes the abandoned run (claimed by CAS, so only one does). */
  removing?: { by: string; at: number };
}

export type LeaseState = "held" | "detached" | "expired" | "abandoned" | "removing";

export interface LeaseEntry {
  lease: RunLease;
  revision: number;
  /** Server time of the last write. */
  written: number;
}

/** The lease's state seen at `now`, and how long it has been expired (0 while held). */
export function leaseState(entry: LeaseEntry, now = Date.now()): { state: LeaseState; expiredMs: number } {
  const { lease } = entry;
  if (lease.removing) return { state: "removing", expiredMs: now - entry.written };
  const age = now - entry.written;
  const expiredMs = lease.detached ? age : Math.max(0, age - lease.ttlMs);
  if (expiredMs > lease.graceMs) return { state: "abandoned", expiredMs };
  if (lease.detached) return { state: "detached", expiredMs };
  return age > lease.ttlMs ? { state: "expired", expiredMs } : { state: "held", expiredMs: 0 };
}

const encode = (lease: RunLease) => new TextEncoder().encode(JSON.stringify(lease));

export class RunLeases {
  private constructor(
    readonly kv: KV,
    private readonly nc: NatsConnection,
  ) {}

  static async open(nc: NatsConnection, options: { replicas?: number } = {}): Promise<RunLeases> {
    return new RunLeases(await openKv(nc, names.leasesBucket, options), nc);
  }

  async read(runId: string): Promise<LeaseEntry | undefined> {
    const entry = await this.kv.get(token(runId));
    if (!entry || entry.operation !== "PUT") return undefined;
    try {
      return { lease: entry.json<RunLease>(), revision: entry.revision, written: entry.created.getTime() };
    } catch {
      return undefined;
    }
  }

  /** Every lease by run token (read without a consumer: see kv-entries.ts). */
  async list(): Promise<Map<string, LeaseEntry>> {
    const leases = new Map<string, LeaseEntry>();
    for (const entry of await kvEntries(this.nc, names.leasesBucket)) {
      const lease = jsonOf<RunLease>(entry);
      if (lease) leases.set(entry.key, { lease, revision: entry.revision, written: entry.created.getTime() });
    }
    return leases;
  }

  /** A new run's lease; fails if one exists. Returns the revision. */
  create(lease: RunLease): Promise<number> {
    return this.kv.create(token(lease.runId), encode(lease));
  }

  /** Replaces the lease if it is still at `revision` (throws otherwise). Returns the new revision. */
  update(lease: RunLease, revision: number): Promise<number> {
    return this.kv.update(token(lease.runId), encode(lease), revision);
  }

  async remove(runId: string): Promise<void> {
    await this.kv.delete(token(runId));
  }
}

/**
 * The driver's side: renews the lease and records feed checkpoints, one write at a time (each CAS
 * needs the revision of the one before). `lost` is set (and `onLost` called) when a write finds
 * the lease taken over.
 */
export class LeaseHolder {
  private lease: RunLease;
  private revision: number;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  lost: BusError | undefined;

  constructor(
    private readonly leases: RunLeases,
    entry: { lease: RunLease; revision: number },
    private readonly options: { onLost: (error: BusError) => void; logger?: Logger },
  ) {
    this.lease = entry.lease;
    this.revision = entry.revision;
    this.timer = setInterval(() => void this.write({}), Math.max(50, Math.floor(this.lease.ttlMs / 3)));
    this.timer.unref();
  }

  get current(): RunLease {
    return this.lease;
  }

  /** Queues a write of the lease with `change` applied; resolves when it landed (or failed). */
  write(change: Partial<RunLease>): Promise<void> {
    this.chain = this.chain.then(async () => {
      if (this.lost) return;
      const next = { ...this.lease, ...change };
      try {
        this.revision = await this.leases.update(next, this.revision);
        this.lease = next;
      } catch (error) {
        if (/wrong last sequence|key exists/i.test(String((error as Error)?.message))) {
          this.stop();
          const now = await this.leases.read(this.lease.runId).catch(() => undefined);
          this.lost = new BusError(
            now?.lease.removing
              ? `Run ${this.lease.runId} was removed as abandoned by worker ${now.lease.removing.by} (its lease expired).`
              : `Run ${this.lease.runId} was taken over by another driver (${now ? `${now.lease.holder.host}:${now.lease.holder.pid}` : "lease gone"}).`,
          );
          this.options.onLost(this.lost);
        } else {
          // The server is away: keep the lease as it is and try again on the next beat.
          this.options.logger?.debug({ err: error }, "renewing the run lease failed; retrying");
        }
      }
    });
    return this.chain;
  }

  checkpoint(feed: FeedCheckpoint): Promise<void> {
    return this.write({ feed });
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /**
   * Stops renewing and marks the run as left on purpose (kept for `graceMs`, for `matrix attach`).
   * `fedAll`: every row was fed (even if the last checkpoint saying so was lost).
   */
  async detach(graceMs: number, fedAll: boolean): Promise<void> {
    this.stop();
    await this.write({ detached: true, graceMs, ...(fedAll ? { feed: { ...this.lease.feed, done: true } } : {}) });
  }

  /** Waits for queued writes. */
  flush(): Promise<void> {
    return this.chain;
  }
}
