/**
 * Offloading: turn contents and rows larger than a threshold are stored once, named by their sha256,
 * and the task carries a ContentRef instead (DESIGN §1: large payloads travel by reference).
 *
 * Where you are: `bus/nats/`. Rows and turns are restored on delivery (from a per-process cache), so
 * agents read `task.row` and `turn.content` as on the local bus, and go back by their refs when
 * unchanged; the sink side restores everything and drops the refs, so the output record always holds
 * full content. The run's buckets
 * are destroyed when the run closes.
 *
 * Where content goes: up to CONTENT_STREAM_MAX_BYTES into the run's content stream (one message per
 * text, its subject ending in the sha256, read back with a direct get), larger into its object store.
 * A put there is one JetStream publish (sent with the hops, jetstream-publisher.ts) and a get one request,
 * about 0.2 ms each on loopback; an object put is two publishes and a get an ordered consumer,
 * 1–5 ms (bench/nats-bus.ts). That is what lets offloading be on by default at 1 KiB without slowing
 * hops down. The ref's byte count says which store holds it. (A plain stream rather than a KV
 * bucket: KV subjects start with the bucket's name, and NATS permissions cannot wildcard part of a
 * token, so a worker account could not be allowed every run's bucket and no other.)
 */
import { createHash } from "node:crypto";
import type { NatsConnection } from "@nats-io/transport-node";
import { DiscardPolicy, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { Objm, StorageType, type ObjectStore } from "@nats-io/obj";
import { LRUCache } from "lru-cache";
import { BusError } from "../../errors.js";
import type { Task } from "../../schema/task.js";
import type { ContentRef, Turn } from "../../schema/turn.js";
import { ignoreNotFound, isAlreadyCreated } from "./jetstream-errors.js";
import { names } from "./names.js";
import { encodeTask } from "./task-codec.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Content up to this size goes to the run's content stream (one message; NATS's max_payload is 1 MB). */
export const CONTENT_STREAM_MAX_BYTES = 512 * 1024;

export interface ContentStoreOptions {
  /** Content longer than this many bytes (UTF-8) is offloaded. 0 or Infinity turns offloading off. */
  threshold: number;
  /** Bytes of fetched content kept per process. @default 64 MiB */
  cacheBytes?: number;
  /** JetStream replicas of the run buckets. @default 1 */
  replicas?: number;
  /** Publishes to JetStream and resolves on its ack: the bus's hop publisher (jetstream-publisher.ts). */
  publish: (subject: string, data: Uint8Array, msgID: string) => Promise<void>;
}

export class ContentStore {
  private readonly objm: Objm;
  private jsmPromise: Promise<JetStreamManager> | undefined;
  private readonly stores = new Map<string, Promise<ObjectStore>>();
  /** Refs this process has already stored, per run: content-addressed, so a second put is waste. */
  private readonly stored = new LRUCache<string, true>({ max: 200_000 });
  /**
   * Puts under way, by key: the trials of one row are fed together (driver/publish-window.ts), and
   * each would otherwise store the same large row at the same moment.
   */
  private readonly putting = new Map<string, Promise<void>>();
  /** Turns restored on delivery, with the text they got: a turn still holding it is unchanged. */
  private readonly restored = new WeakMap<Turn, string>();
  /** Fetched texts, bounded by bytes: conversation turns are read again at every later hop of their task. */
  private readonly cache: LRUCache<string, string>;
  /** Per-run thresholds set by the run's driver (workers follow the driver's choice). */
  private readonly thresholds = new Map<string, number>();
  /** Counters for benchmarks and status. */
  readonly stats = { offloaded: 0, offloadedBytes: 0, fetched: 0, cacheHits: 0 };

  constructor(
    private readonly nc: NatsConnection,
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

  private jsm(): Promise<JetStreamManager> {
    this.jsmPromise ??= jetstreamManager(this.nc);
    this.jsmPromise.catch(() => (this.jsmPromise = undefined));
    return this.jsmPromise;
  }

  private async put(runId: string, text: string): Promise<ContentRef> {
    const bytes = encoder.encode(text);
    const name = createHash("sha256").update(bytes).digest("hex");
    const key = `${runId}/${name}`;
    if (this.stored.get(key) === undefined) {
      let putting = this.putting.get(key);
      if (putting === undefined) {
        putting = (async () => {
          if (bytes.length > CONTENT_STREAM_MAX_BYTES) await (await this.store(runId)).putBlob({ name }, bytes);
          else await this.options.publish(names.contentSubject(runId, name), bytes, key);
          this.stored.set(key, true);
          this.stats.offloaded++;
          this.stats.offloadedBytes += bytes.length;
        })().finally(() => this.putting.delete(key));
        this.putting.set(key, putting);
      }
      await putting;
    }
    this.cache.set(key, text);
    return { ref: `sha256:${name}`, bytes: bytes.length };
  }

  /** Creates the run's buckets now (the driver does, so workers need no right to create streams). */
  async ensureStore(runId: string): Promise<void> {
    const jsm = await this.jsm();
    const config = {
      name: names.content(runId),
      subjects: [names.contentSubject(runId, "*")],
      storage: StorageType.File,
      num_replicas: this.options.replicas ?? 1,
      // One message per text; storing the same text again replaces it.
      max_msgs_per_subject: 1,
      discard: DiscardPolicy.Old,
      allow_direct: true,
      description: `matrix run ${runId}: offloaded content`,
    };
    await jsm.streams.add(config).catch((error: unknown) => {
      if (!isAlreadyCreated(error)) throw error;
    });
    await this.store(runId);
  }

  /** Stores `text` for the run whatever the threshold (module bundles); deleted with the run. */
  storeText(runId: string, text: string): Promise<ContentRef> {
    return this.put(runId, text);
  }

  /** The text behind a ref, from the cache, the run's content stream or its object store. */
  async get(runId: string, ref: ContentRef): Promise<string> {
    const name = ref.ref.replace(/^sha256:/, "");
    const key = `${runId}/${name}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      this.stats.cacheHits++;
      return cached;
    }
    let bytes: Uint8Array | null;
    if (ref.bytes > CONTENT_STREAM_MAX_BYTES) bytes = await (await this.store(runId)).getBlob(name);
    else {
      const jsm = await this.jsm();
      const stored = await jsm.direct.getMessage(names.content(runId), {
        last_by_subj: names.contentSubject(runId, name),
      });
      bytes = stored?.data ?? null;
    }
    if (bytes === null)
      throw new BusError(`Offloaded content ${ref.ref} of run ${runId} is missing from the run's content buckets.`);
    this.stats.fetched++;
    const text = decoder.decode(bytes);
    this.cache.set(key, text);
    return text;
  }

  /** Uses `threshold` for `runId` instead of this store's default (a worker following the run's driver). */
  setThreshold(runId: string, threshold: number): void {
    this.thresholds.set(runId, threshold);
  }

  /**
   * The task as message bytes, its large turns and row offloaded. A task whose whole JSON is within the
   * threshold holds no text over it (every turn and the row are part of that JSON, which is at least as
   * long in bytes), so it is encoded once without looking inside: before, every hop serialised its row
   * twice, once to measure it and once in the message. A restored row (`rowRef` set) must not travel
   * inline, so that task takes the long way.
   */
  encode(
    task: Task,
    threshold = this.thresholds.get(task.runId) ?? this.options.threshold,
  ): Uint8Array | Promise<Uint8Array> {
    const limit = limitOf(threshold);
    // Not worth encoding whole when a turn is over the threshold by its length alone (its UTF-8 bytes are
    // at least as many): that task is offloaded and encoded afterwards anyway. A restored turn (text and
    // ref) goes back by its ref, like a restored row.
    const skip =
      (task.row !== null && task.rowRef !== undefined) ||
      task.history.some(
        (turn) => turn.content !== null && (turn.contentRef !== undefined || turn.content.length > limit),
      );
    const whole = skip ? undefined : encodeTask(task);
    if (whole !== undefined && whole.length <= limit) return whole;
    const offloaded = this.offload(task, limit);
    if (offloaded instanceof Promise) return offloaded.then(encodeTask);
    return offloaded === task && whole !== undefined ? whole : encodeTask(offloaded);
  }

  /**
   * A copy of `task` whose large turns and row travel as references (the original is untouched). A
   * turn or row restored on delivery and unchanged travels by its ref again, whatever the threshold.
   * When nothing is stored, the answer comes without a promise: most hops store nothing, and awaiting
   * for them would cost a turn of the microtask queue each.
   */
  offload(task: Task, threshold = this.thresholds.get(task.runId) ?? this.options.threshold): Task | Promise<Task> {
    const limit = limitOf(threshold);
    const rowJson =
      limit !== Infinity && task.row !== null && task.rowRef === undefined ? JSON.stringify(task.row) : undefined;
    const largeRow = rowJson !== undefined && exceeds(rowJson, limit) ? rowJson : undefined;
    if (
      largeRow === undefined &&
      !task.history.some(
        (turn) => turn.content !== null && (turn.contentRef !== undefined || exceeds(turn.content, limit)),
      )
    )
      return task.row !== null && task.rowRef !== undefined ? { ...task, row: null } : task;
    return this.offloadLarge(task, limit, largeRow);
  }

  private offloadLarge(task: Task, threshold: number, largeRow: string | undefined): Task | Promise<Task> {
    const history = [...task.history];
    const puts: Promise<void>[] = [];
    const store = (i: number, turn: Turn, text: string): void => {
      puts.push(
        this.put(task.runId, text).then((contentRef) => {
          history[i] = { ...turn, content: null, contentRef };
        }),
      );
    };
    for (let i = 0; i < history.length; i++) {
      const turn = history[i]!;
      if (turn.content === null) continue;
      if (turn.contentRef === undefined) {
        if (exceeds(turn.content, threshold)) store(i, turn, turn.content);
        continue;
      }
      if (this.restored.get(turn) === turn.content) {
        history[i] = { ...turn, content: null };
        continue;
      }
      // Changed by an agent after it was restored: its ref names the old text.
      const { contentRef: _stale, ...edited } = turn;
      if (exceeds(turn.content, threshold)) store(i, edited, turn.content);
      else history[i] = edited;
    }
    let row = task.row;
    let rowRef = task.rowRef;
    if (row !== null && rowRef !== undefined) row = null;
    else if (largeRow !== undefined)
      puts.push(
        this.put(task.runId, largeRow).then((ref) => {
          rowRef = ref;
          row = null;
        }),
      );
    const copy = (): Task => ({ ...task, history, row, ...(rowRef ? { rowRef } : {}) });
    return puts.length === 0 ? copy() : Promise.all(puts).then(copy);
  }

  /**
   * Restores the row and the turns' texts in place before a hop runs, so an agent reads `task.row` and
   * `turn.content` on NATS as on the local bus (a code role reading `content` used to get null for a
   * long turn, silently). The refs stay: what comes back unchanged travels by them again, not stored or
   * sent twice. Texts come from the per-process cache, fetched once. Undefined when nothing travels by
   * reference, so such a hop waits for nothing (role-consumer.ts).
   */
  restore(task: Task): Promise<void> | undefined {
    const row = this.restoreRow(task);
    let turns: Promise<void>[] | undefined;
    for (const turn of task.history) {
      if (turn.content !== null || turn.contentRef === undefined) continue;
      (turns ??= []).push(
        this.get(task.runId, turn.contentRef).then((text) => {
          turn.content = text;
          this.restored.set(turn, text);
        }),
      );
    }
    if (turns === undefined) return row;
    if (row) turns.push(row);
    return Promise.all(turns).then(() => undefined);
  }

  /** Restores the row in place (agents read `task.row` directly); the ref stays so the row is not stored twice. */
  restoreRow(task: Task): Promise<void> | undefined {
    // Undefined when the row travels inline: a hop then waits for nothing (role-consumer.ts).
    const ref = task.row === null ? task.rowRef : undefined;
    if (ref === undefined) return undefined;
    return this.get(task.runId, ref).then((json) => {
      task.row = JSON.parse(json) as Record<string, unknown>;
    });
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

  /** Deletes the run's buckets (all its content) and forgets what this process cached of it. */
  async destroy(runId: string): Promise<void> {
    this.forget(runId);
    // Never created (a run that never opened here, or a second remover) is not an error.
    await (await this.jsm()).streams.delete(names.content(runId)).catch(ignoreNotFound);
    await this.objm
      .open(names.objects(runId))
      .then((store) => store.destroy())
      .catch(ignoreNotFound);
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

/** The threshold as a byte limit: 0, a negative or a non-finite threshold turns offloading off. */
function limitOf(threshold: number): number {
  return threshold > 0 && Number.isFinite(threshold) ? threshold : Infinity;
}

/** Whether `text` is more than `threshold` bytes in UTF-8 (its UTF-16 length bounds that within 3x: checked first). */
function exceeds(text: string, threshold: number): boolean {
  return text.length * 3 > threshold && Buffer.byteLength(text) > threshold;
}
