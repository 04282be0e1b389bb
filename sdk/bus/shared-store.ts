/**
 * The shared store contract: a small key-value store with compare-and-set, shared by every agent of
 * one run on every machine. Roles that must agree across workers (dedup: "was this text kept
 * already?") use it; in memory on the local bus, a JetStream KV bucket on NATS (bus/nats/
 * shared-kv-store.ts).
 *
 * Where you are: `bus/`. Values are JSON. Revisions grow across all keys of one store (NATS: the KV
 * stream sequence), so a revision orders writes store-wide, not only per key. Keys are built from
 * `[A-Za-z0-9_=.-]` (what NATS KV allows); a store never sees another store's keys.
 */
import { escapeName } from "./escape-name.js";

export interface StoreEntry<T> {
  value: T;
  /** Store-wide increasing: a later write to any key has a larger revision. */
  revision: number;
}

export interface SharedStore {
  get<T>(key: string): Promise<StoreEntry<T> | undefined>;
  /** Writes `value` only when `key` has none. The new revision, or `undefined` when the key exists. */
  create<T>(key: string, value: T): Promise<number | undefined>;
  /** Writes `value` only when `key` is still at `revision`. The new revision, or `undefined` when it moved on. */
  update<T>(key: string, value: T, revision: number): Promise<number | undefined>;
  /** Resolves with the key's entry once it has one (at once if it has), or `undefined` after `timeoutMs`. */
  waitFor<T>(key: string, timeoutMs: number): Promise<StoreEntry<T> | undefined>;
}

const KEY_CHARS = /^[A-Za-z0-9_=-]+$/;

/** Keys of the shared store: KV allows `[-/_=.a-zA-Z0-9]`; anything else is hexed (escape-name.ts). */
export function storeKey(part: string): string {
  return escapeName(part, KEY_CHARS);
}
