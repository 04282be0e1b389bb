/**
 * A FIFO semaphore: at most `limit` holders at once, the rest wait in arrival order and may abort.
 *
 * Kept instead of a library (measured with `bench/limiter-candidates.ts`, CPU per acquire/release above a bare
 * await): this costs 0.2 us uncontended and 2-2.5 us with 64 callers on 8 slots; `p-queue` 9 (the maintained one
 * that aborts queued calls; 10 needs node 22) costs 3.4-3.6 us and 4.8-6.6 us, and `p-limit` cannot abort a queued
 * call (a cancelled run would wait for a slot first). Both also only wrap a function, while the pool holds a slot
 * across its rate-bucket waits.
 *
 * Where you are: `llm/`, one per endpoint (its `maxConcurrent`). The pool reads `inFlight + queued` as
 * the endpoint's outstanding load for least-outstanding balancing.
 */
import { abortReason } from "./abortable-delay.js";

interface Waiter {
  resolve: (release: () => void) => void;
  reject: (error: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export class ConcurrencyLimiter {
  readonly limit: number;
  #inFlight = 0;
  readonly #waiters: Waiter[] = [];

  /** @param limit maximum holders; `Infinity` never queues. */
  constructor(limit: number = Infinity) {
    this.limit = limit;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  get queued(): number {
    return this.#waiters.length;
  }

  /** A release function when a slot is free now and nobody waits (no promise, no turn); else undefined. */
  tryAcquire(): (() => void) | undefined {
    if (this.#inFlight >= this.limit || this.#waiters.length > 0) return undefined;
    this.#inFlight++;
    return this.#releaser();
  }

  /** Resolves with a release function once a slot is free; call it exactly once (extra calls are ignored). */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.#inFlight < this.limit && this.#waiters.length === 0) {
      this.#inFlight++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(abortReason(signal));
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#inFlight--;
      this.#next();
    };
  }

  #next(): void {
    while (this.#inFlight < this.limit && this.#waiters.length > 0) {
      const waiter = this.#waiters.shift()!;
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener("abort", waiter.onAbort);
      this.#inFlight++;
      waiter.resolve(this.#releaser());
    }
  }
}
