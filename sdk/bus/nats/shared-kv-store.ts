/**
 * The NATS shared store: a run's SharedStore (bus/shared-store.ts) on a JetStream KV bucket, so the
 * agents of one run on every worker share one dedup index.
 *
 * Where you are: `bus/nats/`. One bucket per run (`matrix_shared_<run>`, destroyed with the run by
 * `NatsBus.closeRun`); each store is a key prefix in it (the role's name). `create` and `update` map to
 * KV create / update with the expected last sequence, so two workers never both win a key; KV
 * revisions are the bucket stream's sequence numbers, which is what makes them store-wide increasing.
 * Only NATS 2.9 features are used.
 */
import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm, KvWatchInclude, type KV, type KvEntry } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { storeKey, type SharedStore, type StoreEntry } from "../shared-store.js";
import { ignoreNotFound } from "./jetstream-errors.js";
import { names } from "./names.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A revision conflict: the key exists (create) or moved on (update). Anything else is a real failure. */
function isConflict(error: unknown): boolean {
  if (error instanceof JetStreamApiError)
    return (
      error.code === JetStreamApiCodes.StreamWrongLastSequence ||
      error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown
    );
  return /wrong last sequence/i.test(String((error as Error)?.message));
}

function decode<T>(entry: KvEntry | null): StoreEntry<T> | undefined {
  if (entry === null || entry.operation !== "PUT") return undefined;
  return { value: JSON.parse(decoder.decode(entry.value)) as T, revision: entry.revision };
}

export class NatsSharedStore implements SharedStore {
  private readonly prefix: string;

  constructor(
    private readonly kv: Promise<KV>,
    name: string,
  ) {
    this.prefix = `${storeKey(name)}.`;
  }

  async get<T>(key: string): Promise<StoreEntry<T> | undefined> {
    return decode<T>(await (await this.kv).get(this.prefix + key));
  }

  async create<T>(key: string, value: T): Promise<number | undefined> {
    try {
      return await (await this.kv).create(this.prefix + key, encoder.encode(JSON.stringify(value)));
    } catch (error) {
      if (isConflict(error)) return undefined;
      throw error;
    }
  }

  async update<T>(key: string, value: T, revision: number): Promise<number | undefined> {
    try {
      return await (await this.kv).update(this.prefix + key, encoder.encode(JSON.stringify(value)), revision);
    } catch (error) {
      if (isConflict(error)) return undefined;
      throw error;
    }
  }

  async waitFor<T>(key: string, timeoutMs: number): Promise<StoreEntry<T> | undefined> {
    // LastValue delivers the current value first if there is one, so no write can slip between a get and the watch.
    const watcher = await (await this.kv).watch({ key: this.prefix + key, include: KvWatchInclude.LastValue });
    const timer = setTimeout(() => watcher.stop(), timeoutMs);
    try {
      for await (const entry of watcher) {
        const decoded = decode<T>(entry);
        if (decoded) return decoded;
      }
      return undefined;
    } finally {
      clearTimeout(timer);
      watcher.stop();
    }
  }
}

/** Opens (creating on first use) the run's bucket. Concurrent opens by several workers agree. */
export function openSharedBucket(connection: NatsConnection, runId: string, replicas: number): Promise<KV> {
  return new Kvm(connection).create(names.sharedBucket(runId), { history: 1, replicas });
}

/** Removes the run's shared stores (a run that never used one has no bucket: fine). */
export async function destroySharedBucket(jsm: JetStreamManager, runId: string): Promise<void> {
  await jsm.streams.delete(`KV_${names.sharedBucket(runId)}`).catch(ignoreNotFound);
}
