/**
 * Waiting on events instead of polling with deadlines and sleeps: a test awaits the moment a count
 * is reached or a run gets somewhere, so a loaded machine makes it slower, never flaky. A wait that
 * can never complete ends with the test's own timeout (vitest names the test).
 *
 * Where you are: test helpers.
 */
import type { Run, RunProgress } from "../../sdk/driver/run.js";

/** A counter handlers bump (`add`) and tests await (`reached(n)`). */
export class Tally {
  #count = 0;
  readonly #waiters: Array<{ n: number; resolve: () => void }> = [];

  get count(): number {
    return this.#count;
  }

  add(by = 1): void {
    this.#count += by;
    for (let i = this.#waiters.length - 1; i >= 0; i--) {
      const waiter = this.#waiters[i]!;
      if (this.#count >= waiter.n) {
        this.#waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }

  /** Resolves once the count is at least `n` (at once if it already is). */
  reached(n: number): Promise<void> {
    if (this.#count >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }
}

/**
 * Resolves once `check(run.progress())` holds, checked on every event of the run; rejects if the run
 * ends without it ever holding.
 */
export function untilProgress(run: Run, check: (progress: RunProgress) => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    if (check(run.progress())) return resolve();
    const unsubscribe = run.subscribe((event) => {
      if (check(run.progress())) {
        unsubscribe();
        resolve();
      } else if (event.type === "run-end") {
        unsubscribe();
        reject(new Error(`the run ended before the awaited progress: ${JSON.stringify(run.progress())}`));
      }
    });
  });
}
