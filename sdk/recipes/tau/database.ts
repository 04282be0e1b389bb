/**
 * A tau2 domain database as a copy-on-write view over the seed (`db.json`): top-level maps (users,
 * orders, products, tasks, notifications) are copied shallowly, and a record is cloned the first time a
 * tool writes it. A fresh environment therefore costs microseconds, not a copy of 2.8 MB, which is what
 * lets every tool hop rebuild its environment from the seed and the task's recorded calls.
 *
 * Where you are: `recipes/tau/`, the tau runtime (bundled as a module for workers; no SDK imports but
 * errors). Tools must read with `get`/`entries` and mutate only what `write` returned. Equality with
 * another view of the same seed compares only the records either one touched, with sorted keys, which
 * is what tau2's hash of the whole database (`json.dumps(..., sort_keys=True)`) decides.
 */
import { createHash } from "node:crypto";

export type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** JSON with sorted keys: the text tau2 hashes. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value ?? null);
}

/** addict's `Dict.update`: nested objects merge, anything else replaces. Mutates `target`. */
export function deepMerge(target: JsonObject, update: JsonObject): JsonObject {
  for (const [key, value] of Object.entries(update)) {
    const current = target[key];
    if (isObject(value) && isObject(current)) deepMerge(current, value);
    else target[key] = structuredClone(value);
  }
  return target;
}

/** A seed collection's entries, listed once per seed object (scanning tools walk them often). */
const seedEntries = new WeakMap<JsonObject, Array<[string, JsonObject]>>();

function entriesOf(collection: JsonObject): Array<[string, JsonObject]> {
  let entries = seedEntries.get(collection);
  if (!entries) {
    entries = Object.entries(collection) as Array<[string, JsonObject]>;
    seedEntries.set(collection, entries);
  }
  return entries;
}

export class TauDatabase {
  /** Top-level values replaced outright (a non-collection field, or a collection set by `merge`). */
  private readonly replaced = new Map<string, unknown>();
  /** Records written or added, per collection; everything else is read from the seed. */
  private readonly overlay = new Map<string, Map<string, JsonObject>>();

  /** A view over `seed`, which is never modified. */
  constructor(private readonly seed: JsonObject) {}

  private collection(name: string): JsonObject {
    const collection = this.replaced.has(name) ? this.replaced.get(name) : this.seed[name];
    if (!isObject(collection)) throw new Error(`the database has no collection '${name}'`);
    return collection;
  }

  private layer(name: string): Map<string, JsonObject> {
    let layer = this.overlay.get(name);
    if (!layer) this.overlay.set(name, (layer = new Map()));
    return layer;
  }

  /** A record to read (do not change it). */
  get(collection: string, key: string): JsonObject | undefined {
    const written = this.overlay.get(collection)?.get(key);
    if (written) return written;
    const records = this.collection(collection);
    const record = Object.prototype.hasOwnProperty.call(records, key) ? records[key] : undefined;
    return isObject(record) ? record : undefined;
  }

  has(collection: string, key: string): boolean {
    return this.get(collection, key) !== undefined;
  }

  /** The records of a collection in insertion order, as Python's dict keeps it (do not change them). */
  entries(collection: string): Array<[string, JsonObject]> {
    const base = entriesOf(this.collection(collection));
    const layer = this.overlay.get(collection);
    if (!layer || layer.size === 0) return base;
    const entries = base.map(([key, record]): [string, JsonObject] => [key, layer.get(key) ?? record]);
    for (const [key, record] of layer) if (!this.inSeed(collection, key)) entries.push([key, record]);
    return entries;
  }

  private inSeed(collection: string, key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.collection(collection), key);
  }

  /** The record, cloned on first write: the one object a tool may change. */
  write(collection: string, key: string): JsonObject {
    const layer = this.layer(collection);
    let record = layer.get(key);
    if (!record) {
      record = structuredClone(this.get(collection, key)) as JsonObject;
      layer.set(key, record);
    }
    return record;
  }

  /** Adds or replaces a record. */
  put(collection: string, key: string, record: JsonObject): void {
    this.collection(collection);
    this.layer(collection).set(key, record);
  }

  /** Deep-merges a partial database (tau2's `initialization_data`), as pydantic's update does. */
  merge(update: JsonObject, normalize: (collection: string, record: JsonObject) => void): void {
    for (const [name, value] of Object.entries(update)) {
      if (isObject(value) && isObject(this.replaced.has(name) ? this.replaced.get(name) : this.seed[name])) {
        for (const [key, record] of Object.entries(value)) {
          const target = this.has(name, key) ? this.write(name, key) : undefined;
          if (target && isObject(record)) deepMerge(target, record);
          else this.put(name, key, structuredClone(record) as JsonObject);
          normalize(name, this.get(name, key)!);
        }
      } else {
        this.replaced.set(name, structuredClone(value));
        this.overlay.delete(name);
      }
    }
  }

  /** The current data: the seed with the written records in place. */
  private current(): JsonObject {
    const data: JsonObject = {};
    for (const name of new Set([...Object.keys(this.seed), ...this.replaced.keys()])) {
      const value = this.replaced.has(name) ? this.replaced.get(name) : this.seed[name];
      data[name] = isObject(value) && this.overlay.has(name) ? Object.fromEntries(this.entries(name)) : value;
    }
    return data;
  }

  /** The whole database as plain JSON (a deep copy). */
  toJSON(): JsonObject {
    return structuredClone(this.current());
  }

  /** md5 of the sorted-key JSON, like tau2's `get_db_hash` (for reports; equality uses `equals`). */
  hash(): string {
    return createHash("md5").update(canonicalJson(this.current())).digest("hex");
  }

  /** What this view changed: top-level names replaced, and `collection/key` of records written or added. */
  private changes(): Array<[string, string | undefined]> {
    const changed: Array<[string, string | undefined]> = [...this.replaced.keys()].map((name) => [name, undefined]);
    for (const [name, layer] of this.overlay) for (const key of layer.keys()) changed.push([name, key]);
    return changed;
  }

  private value(name: string, key: string | undefined): unknown {
    if (key === undefined) return this.replaced.has(name) ? this.replaced.get(name) : this.seed[name];
    return this.get(name, key);
  }

  /** Whether two views hold the same data (of the same seed: only what either changed is compared). */
  equals(other: TauDatabase): boolean {
    if (other.seed !== this.seed) return canonicalJson(this.current()) === canonicalJson(other.current());
    for (const [name, key] of [...this.changes(), ...other.changes()]) {
      if (key !== undefined && (this.replaced.has(name) || other.replaced.has(name))) {
        if (canonicalJson(this.value(name, undefined)) !== canonicalJson(other.value(name, undefined))) return false;
      }
      if (canonicalJson(this.value(name, key)) !== canonicalJson(other.value(name, key))) return false;
    }
    return true;
  }
}
