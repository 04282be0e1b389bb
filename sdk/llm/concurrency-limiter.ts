/**
 * A FIFO semaphore: at most `limit` holders at once, the rest wait in arrival order and may abort.
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
