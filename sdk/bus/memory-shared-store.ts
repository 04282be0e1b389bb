/**
 * The in-memory shared store: the local bus's SharedStore, and what offline dedup indexes with.
 *
 * Where you are: `bus/`. One process, so every operation is atomic by construction; the promises
 * only keep the contract's shape. Values are kept by reference: callers write new values, never
 * mutate stored ones.
 */
import type { SharedStore, StoreEntry } from "./shared-store.js";

export class MemorySharedStore implements SharedStore {
  private readonly entries = new Map<string, StoreEntry<unknown>>();
  private readonly waiters = new Map<string, Array<(entry: StoreEntry<unknown>) => void>>();
  private revision = 0;

  get size(): number {
    return this.entries.size;
  }

  getNow<T>(key: string): StoreEntry<T> | undefined {
    return this.entries.get(key) as StoreEntry<T> | undefined;
  }

  get<T>(key: string): Promise<StoreEntry<T> | undefined> {
    return Promise.resolve(this.getNow<T>(key));
  }

  /** Synchronous create (offline dedup's fast path); same semantics as `create`. */
  createNow<T>(key: string, value: T): number | undefined {
    if (this.entries.has(key)) return undefined;
    return this.write(key, value);
  }

  create<T>(key: string, value: T): Promise<number | undefined> {
    return Promise.resolve(this.createNow(key, value));
  }

  /** Synchronous update; same semantics as `update`. */
  updateNow<T>(key: string, value: T, revision: number): number | undefined {
    if (this.entries.get(key)?.revision !== revision) return undefined;
    return this.write(key, value);
  }

  update<T>(key: string, value: T, revision: number): Promise<number | undefined> {
    return Promise.resolve(this.updateNow(key, value, revision));
  }

  waitFor<T>(key: string, timeoutMs: number): Promise<StoreEntry<T> | undefined> {
    const known = this.getNow<T>(key);
    if (known) return Promise.resolve(known);
    return new Promise((resolve) => {
      const list = this.waiters.get(key) ?? [];
      const done = (entry: StoreEntry<unknown> | undefined) => {
        clearTimeout(timer);
        resolve(entry as StoreEntry<T> | undefined);
      };
      const timer = setTimeout(() => {
        const remaining = (this.waiters.get(key) ?? []).filter((waiter) => waiter !== done);
        if (remaining.length > 0) this.waiters.set(key, remaining);
        else this.waiters.delete(key);
        done(undefined);
      }, timeoutMs);
      list.push(done);
      this.waiters.set(key, list);
    });
  }

  private write(key: string, value: unknown): number {
    const entry = { value, revision: ++this.revision };
    this.entries.set(key, entry);
    const waiting = this.waiters.get(key);
    if (waiting) {
      this.waiters.delete(key);
      for (const wake of waiting) wake(entry);
    }
    return entry.revision;
  }
}
