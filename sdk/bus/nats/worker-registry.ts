/**
 * Worker heartbeats: a KV bucket whose entries expire on their own (bucket TTL), so a worker killed
 * with SIGKILL drops out of `matrix status` within a few beats.
 *
 * Where you are: `bus/nats/`. Workers write; `matrix status` reads, and a driver watches it for
 * problems workers report about its run (an LLM they cannot reach, a signature they refuse).
 */
import { KvWatchInclude, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { jsonOf, kvEntries } from "./kv-entries.js";
import { names } from "./names.js";
import { openKv } from "./run-registry.js";

/** Why a worker does not serve a run: reported in its heartbeat, shown by the driver and `matrix status`. */
export interface WorkerProblem {
  runId: string;
  /** `llm`: cannot reach the run's LLM; `unsigned` / `untrusted-key` / `bad-signature`: refused by trust. */
  reason: "llm" | "unsigned" | "untrusted-key" | "bad-signature" | "invalid-run";
  message: string;
  time: number;
}

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
  /** Runs this worker refuses or cannot serve, and why. */
  problems?: WorkerProblem[];
}

/** KV keys allow `[-/_=.a-zA-Z0-9]`; anything else in a worker id becomes `_`. */
const keyOf = (id: string) => id.replace(/[^-/_=.a-zA-Z0-9]/g, "_");

export class WorkerRegistry {
  private constructor(
    private readonly kv: KV,
    private readonly nc: NatsConnection,
  ) {}

  static async open(nc: NatsConnection, options: { ttlMs?: number } = {}): Promise<WorkerRegistry> {
    return new WorkerRegistry(await openKv(nc, names.workersBucket, { ttlMs: options.ttlMs ?? 15_000 }), nc);
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

  /**
   * Calls `onChange` with every heartbeat written from now on (and `undefined` with the key of one
   * removed or expired). Returns a stop function.
   */
  async watch(onChange: (key: string, heartbeat: WorkerHeartbeat | undefined) => void): Promise<() => void> {
    const watch = await this.kv.watch();
    void (async () => {
      for await (const entry of watch) {
        let heartbeat: WorkerHeartbeat | undefined;
        try {
          heartbeat = entry.operation === "PUT" ? entry.json<WorkerHeartbeat>() : undefined;
        } catch {
          continue;
        }
        onChange(entry.key, heartbeat);
      }
    })().catch(() => {});
    return () => watch.stop();
  }

  /** Live heartbeats (read without a consumer: see kv-entries.ts); malformed ones are skipped. */
  async list(): Promise<WorkerHeartbeat[]> {
    const workers: WorkerHeartbeat[] = [];
    for (const entry of await kvEntries(this.nc, names.workersBucket)) {
      const heartbeat = jsonOf<WorkerHeartbeat>(entry);
      if (typeof heartbeat?.id === "string") workers.push(heartbeat);
    }
    return workers;
  }
}
