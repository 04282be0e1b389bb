/**
 * Worker heartbeats: a KV bucket whose entries expire on their own (bucket TTL), so a worker killed
 * with SIGKILL drops out of `matrix status` within a few beats.
 *
 * Where you are: `bus/nats/`. Workers write; `matrix status` reads.
 */
import { KvWatchInclude, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { names } from "./names.js";
import { openKv } from "./run-registry.js";

export interface WorkerHeartbeat {
  id: string;
  host: string;
  pid: number;
  roles: string[] | "*";
  runs: string[];
  inFlight: number;
  hops: number;
  version: string;
  time: number;
}

/** KV keys allow `[-/_=.a-zA-Z0-9]`; anything else in a worker id becomes `_`. */
const keyOf = (id: string) => id.replace(/[^-/_=.a-zA-Z0-9]/g, "_");

export class WorkerRegistry {
  private constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection, options: { ttlMs?: number } = {}): Promise<WorkerRegistry> {
    return new WorkerRegistry(await openKv(nc, names.workersBucket, { ttlMs: options.ttlMs ?? 15_000 }));
  }

  async put(heartbeat: WorkerHeartbeat): Promise<void> {
    await this.kv.put(keyOf(heartbeat.id), JSON.stringify(heartbeat));
  }

  async remove(id: string): Promise<void> {
    await this.kv.delete(keyOf(id));
  }

  /**
   * Resolves once every worker in `ids` has a heartbeat (already there or written later), watching the
   * bucket rather than polling it. Rejects with `signal.reason` when `signal` aborts first.
   */
  async waitFor(ids: readonly string[], signal?: AbortSignal): Promise<void> {
    const missing = new Set(ids.map(keyOf));
    if (missing.size === 0) return;
    signal?.throwIfAborted();
    const watch = await this.kv.watch({ include: KvWatchInclude.LastValue });
    const stop = () => watch.stop();
    signal?.addEventListener("abort", stop, { once: true });
    try {
      for await (const entry of watch) {
        if (entry.operation === "PUT") missing.delete(entry.key);
        if (missing.size === 0) return;
      }
      signal?.throwIfAborted();
      throw new Error(`the heartbeat watch ended before ${[...missing].join(", ")} registered`);
    } finally {
      signal?.removeEventListener("abort", stop);
      watch.stop();
    }
  }

  async list(): Promise<WorkerHeartbeat[]> {
    const workers: WorkerHeartbeat[] = [];
    for await (const key of await this.kv.keys()) {
      const entry = await this.kv.get(key);
      if (entry?.operation !== "PUT") continue;
      try {
        workers.push(entry.json<WorkerHeartbeat>());
      } catch {
        // A malformed heartbeat is skipped: status is best effort.
      }
    }
    return workers;
  }
}
