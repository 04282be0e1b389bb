/**
 * A token bucket for requests/min and tokens/min limits, with FIFO waiters and after-the-fact correction.
 *
 * Where you are: `llm/`, two per endpoint at most (requests and tokens). The bucket refills continuously
 * at `perMinute / 60` per second and holds `burstSeconds` worth of tokens, so a limit of 600 rpm is spread
 * evenly instead of allowing 600 requests in the first millisecond (providers enforce limits over shorter
 * windows than a minute). A take larger than the capacity waits for a full bucket and then goes into debt,
 * so a single large prompt is never blocked forever.
 *
 * Kept instead of a library (checked against the semantics, CPU measured with `bench/limiter-candidates.ts`):
 * `limiter` 4.1 (FIFO, continuous refill, 0.8-1.0 us per two takes vs 0.3-0.4 us here) throws on a take larger than
 * the bucket, cannot abort a waiting take and has no close, so a cancelled run would keep waiting and spend tokens;
 * `bottleneck` 2.19 refills its reservoir in steps and cannot abort; `p-queue`'s interval cap is a fixed window
 * (bursts at each window start) without weights. None corrects an estimate after the call (`adjust`). `retry-after`
 * is not a bucket's job: the endpoint's pause (`pool-endpoint.ts`) handles it.
 */
import { abortReason } from "./abortable-delay.js";

interface Waiter {
  amount: number;
  resolve: () => void;
  reject: (error: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

export interface TokenBucketOptions {
  /** Seconds of refill the bucket can hold (the largest burst). @default 1 */
  burstSeconds?: number;
  /** Clock, for tests. @default Date.now */
  now?: () => number;
}

export class TokenBucket {
  readonly perMinute: number;
  readonly capacity: number;
  readonly #ratePerMs: number;
  readonly #now: () => number;
  #tokens: number;
  #updatedAt: number;
  readonly #waiters: Waiter[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(perMinute: number, { burstSeconds = 1, now = Date.now }: TokenBucketOptions = {}) {
    this.perMinute = perMinute;
    this.#ratePerMs = perMinute / 60_000;
    this.capacity = Math.max(1, (perMinute / 60) * burstSeconds);
    this.#now = now;
    this.#tokens = this.capacity;
    this.#updatedAt = now();
  }

  /** Tokens available now (negative while in debt). */
  get available(): number {
    this.#refill();
    return this.#tokens;
  }

  get queued(): number {
    return this.#waiters.length;
  }

  /** Takes `amount` tokens when `take` would without waiting (nobody queued, enough tokens); else takes none. */
  tryTake(amount: number): boolean {
    this.#refill();
    if (this.#waiters.length > 0 || this.#tokens < Math.min(amount, this.capacity)) return false;
    this.#tokens -= amount;
    return true;
  }

  /** Waits until `amount` tokens (at most a full bucket) are there, then takes them. FIFO. */
  take(amount: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    this.#refill();
    if (this.#waiters.length === 0 && this.#tokens >= Math.min(amount, this.capacity)) {
      this.#tokens -= amount;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { amount, resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          reject(abortReason(signal));
          this.#schedule();
        };
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#waiters.push(waiter);
      this.#schedule();
    });
  }

  /** Corrects an estimate once the real cost is known: positive takes more, negative gives back. */
  adjust(delta: number): void {
    this.#refill();
    this.#tokens = Math.min(this.capacity, this.#tokens - delta);
    this.#schedule();
  }

  /** Stops the timer and rejects waiters; used by `pool.close()`. */
  close(error: unknown): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of this.#waiters.splice(0)) {
      if (waiter.signal && waiter.onAbort) waiter.signal.removeEventListener("abort", waiter.onAbort);
      waiter.reject(error);
    }
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = now - this.#updatedAt;
    if (elapsed > 0) {
      this.#tokens = Math.min(this.capacity, this.#tokens + elapsed * this.#ratePerMs);
      this.#updatedAt = now;
    }
  }

  #schedule(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#refill();
    while (this.#waiters.length > 0) {
      const head = this.#waiters[0]!;
      const needed = Math.min(head.amount, this.capacity);
      if (this.#tokens < needed) {
        const waitMs = Math.max(1, Math.ceil((needed - this.#tokens) / this.#ratePerMs));
        this.#timer = setTimeout(() => this.#schedule(), waitMs);
        return;
      }
      this.#waiters.shift();
      if (head.signal && head.onAbort) head.signal.removeEventListener("abort", head.onAbort);
      this.#tokens -= head.amount;
      head.resolve();
    }
  }
}
