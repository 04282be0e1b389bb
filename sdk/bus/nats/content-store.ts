/**
 * Offloading: turn contents and rows larger than a threshold go to the run's JetStream object store,
 * named by their sha256, and the task carries a ContentRef instead (DESIGN §1: large payloads travel
 * by reference).
 *
 * Where you are: `bus/nats/`. Agents read offloaded turns through `ctx.content(turn)` (lazily, with a
 * per-process cache); rows are restored on delivery so code agents can keep reading `task.row`; the
 * sink side restores everything, so the output record always holds full content. The bucket is
 * destroyed when the run closes.
 */
import { createHash } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import { Objm, StorageType, type ObjectStore } from "@nats-io/obj";
import { LRUCache } from "lru-cache";
import { BusError } from "../../errors.js";
import type { Task } from "../../schema/task.js";
import type { ContentRef, Turn } from "../../schema/turn.js";
import { names } from "./names.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface ContentStoreOptions {
  /** Content longer than this many bytes (UTF-8) is offloaded. 0 or Infinity turns offloading off. */
  threshold: number;
  /** Bytes of fetched content kept per process. @default 64 MiB */
  cacheBytes?: number;
  /** JetStream replicas of the run buckets. @default 1 */
  replicas?: number;
}

export class ContentStore {
  private readonly objm: Objm;
  private readonly stores = new Map<string, Promise<ObjectStore>>();
  /** Refs this process has already stored, per run: content-addressed, so a second put is waste. */
  private readonly stored = new LRUCache<string, true>({ max: 200_000 });
  /** Fetched texts, bounded by bytes: conversation turns are read again at every later hop of their task. */
  private readonly cache: LRUCache<string, string>;
  /** Per-run thresholds set by the run's driver (workers follow the driver's choice). */
  private readonly thresholds = new Map<string, number>();
  /** Counters for benchmarks and status. */
  readonly stats = { offloaded: 0, offloadedBytes: 0, fetched: 0, cacheHits: 0 };

  constructor(
    nc: NatsConnection,
    private readonly options: ContentStoreOptions,
  ) {
    this.objm = new Objm(nc);
    // UTF-16 bytes in memory; a text larger than the whole cache is not kept (0 keeps nothing).
    this.cache = new LRUCache<string, string>({
      maxSize: Math.max(1, options.cacheBytes ?? 64 * 1024 * 1024),
      sizeCalculation: (text) => Math.max(1, text.length * 2),
    });
  }

  get enabled(): boolean {
    return this.options.threshold > 0 && Number.isFinite(this.options.threshold);
  }

  private store(runId: string): Promise<ObjectStore> {
    let store = this.stores.get(runId);
    if (store === undefined) {
      store = this.objm.create(names.objects(runId), {
        storage: StorageType.File,
        replicas: this.options.replicas ?? 1,
      });
      store.catch(() => this.stores.delete(runId));
      this.stores.set(runId, store);
    }
    return store;
  }

  private async put(runId: string, text: string): Promise<ContentRef> {
    const bytes = encoder.encode(text);
    const name = createHash("sha256").update(bytes).digest("hex");
    const key = `${runId}/${name}`;
    if (this.stored.get(key) === undefined) {
      const store = await this.store(runId);
      await store.putBlob({ name }, bytes);
      this.stored.set(key, true);
      this.stats.offloaded++;
      this.stats.offloadedBytes += bytes.length;
    }
    this.cache.set(key, text);
    return { ref: `sha256:${name}`, bytes: bytes.length };
  }

  /** Creates the run's bucket now (the driver does, so workers need no right to create streams). */
  async ensureStore(runId: string): Promise<void> {
    await this.store(runId);
  }

  /** Stores `text` in the run's object store whatever the threshold (module bundles); deleted with the run. */
  storeText(runId: string, text: string): Promise<ContentRef> {
    return this.put(runId, text);
  }

  /** The text behind a ref, from the cache or the run's object store. */
  async get(runId: string, ref: ContentRef): Promise<string> {
    const name = ref.ref.replace(/^sha256:/, "");
    const key = `${runId}/${name}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.stats.cacheHits++;
      return cached;
    }
    const store = await this.store(runId);
    const bytes = await store.getBlob(name);
    if (bytes === null)
      throw new BusError(`Offloaded content ${ref.ref} of run ${runId} is missing from the object store.`);
    this.stats.fetched++;
    const text = decoder.decode(bytes);
    this.cache.set(key, text);
    return text;
  }

  /** A copy of `task` whose large turns and row travel as references (the original is untouched). */
  /** Uses `threshold` for `runId` instead of this store's default (a worker following the run's driver). */
  setThreshold(runId: string, threshold: number): void {
    this.thresholds.set(runId, threshold);
  }

  async offload(task: Task, threshold = this.thresholds.get(task.runId) ?? this.options.threshold): Promise<Task> {
    if (!(threshold > 0 && Number.isFinite(threshold))) return task;
    let history = task.history;
    for (let i = 0; i < history.length; i++) {
      const turn = history[i]!;
      // Length in UTF-16 units bounds the UTF-8 size from below within 3x; check cheaply first.
      if (turn.content === null || turn.content.length * 3 <= threshold) continue;
      if (encoder.encode(turn.content).length <= threshold) continue;
      if (history === task.history) history = [...history];
      history[i] = { ...turn, content: null, contentRef: await this.put(task.runId, turn.content) };
    }
    let row = task.row;
    let rowRef = task.rowRef;
    if (row !== null && rowRef !== undefined) {
      // Restored on delivery and unchanged (rows are read-only): travel by the same reference again.
      row = null;
    } else if (row !== null) {
      const json = JSON.stringify(row);
      if (json.length > threshold && encoder.encode(json).length > threshold) {
        rowRef = await this.put(task.runId, json);
        row = null;
      }
    }
    if (history === task.history && row === task.row) return task;
    return { ...task, history, row, ...(rowRef ? { rowRef } : {}) };
  }

  /** Restores the row in place (agents read `task.row` directly); the ref stays so the row is not stored twice. */
  async restoreRow(task: Task): Promise<void> {
    if (task.row === null && task.rowRef) {
      task.row = JSON.parse(await this.get(task.runId, task.rowRef)) as Record<string, unknown>;
    }
  }

  /** Restores the row and every turn in place: the output record must hold full content, no refs. */
  async restoreAll(task: Task): Promise<void> {
    await this.restoreRow(task);
    delete task.rowRef;
    await Promise.all(
      task.history.map(async (turn) => {
        if (turn.content === null && turn.contentRef) {
          turn.content = await this.get(task.runId, turn.contentRef);
          delete turn.contentRef;
        }
      }),
    );
  }

  /** A turn's text for `ctx.content(turn)`. */
  reader(runId: string): (turn: Turn) => Promise<string | null> {
    return async (turn) => (turn.content === null && turn.contentRef ? this.get(runId, turn.contentRef) : turn.content);
  }

  /** Deletes the run's bucket (all its objects) and forgets what this process cached of it. */
  async destroy(runId: string): Promise<void> {
    this.forget(runId);
    try {
      const store = await this.objm.open(names.objects(runId));
      await store.destroy();
    } catch (error) {
      // Never created (nothing was offloaded) is the common case and not an error.
      if (!/not found/i.test(String((error as Error)?.message))) throw error;
    }
  }

  /** Forgets a run locally without touching the server (a worker leaving a run). */
  forget(runId: string): void {
    this.stores.delete(runId);
    this.thresholds.delete(runId);
    deleteRun(this.cache, runId);
    deleteRun(this.stored, runId);
  }
}

/** Drops a run's entries (keys are `runId/sha256`). */
function deleteRun<V extends {}>(cache: LRUCache<string, V>, runId: string): void {
  for (const key of [...cache.keys()]) if (key.startsWith(`${runId}/`)) cache.delete(key);
}
