/**
 * A `setTimeout` promise that rejects with the signal's reason when the caller aborts.
 *
 * Also: making a controller follow a long-lived signal cheaply (`follow`, `unfollow`).
 *
 * Where you are: `llm/`, a helper of the pool and its limiters. Keep it dependency-free.
 */

/** The error an aborted wait rejects with: the signal's own reason, so callers see what they passed. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The operation was aborted.", "AbortError");
}

export function abortableDelay(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** What `follow` aborts: an AbortController, or anything else with `abort(reason)`. */
export interface Abortable {
  abort(reason?: unknown): void;
}

/** One listener per long-lived signal; the controllers that follow it are kept in a Set. */
const followers = new WeakMap<AbortSignal, Set<Abortable>>();

/**
 * Aborts `controller` (with the signal's reason) when `signal` aborts, until `unfollow`. Node's
 * EventTarget walks every listener of a signal on each add and remove (its duplicate check), so with one
 * listener per call in flight on the run's signal, every call paid for all the others (measured: 5% of
 * the CPU of an LLM call at 64 in flight). Here the signal gets one listener, and a call costs a Set
 * insert and delete, with no closure per call (bench/llm-cpu-profile.ts).
 */
export function follow(signal: AbortSignal, controller: Abortable): void {
  if (signal.aborted) {
    controller.abort(signal.reason);
    return;
  }
  let set = followers.get(signal);
  if (set === undefined) {
    const created = new Set<Abortable>();
    set = created;
    followers.set(signal, created);
    signal.addEventListener(
      "abort",
      () => {
        followers.delete(signal);
        for (const follower of [...created]) follower.abort(signal.reason);
        created.clear();
      },
      { once: true },
    );
  }
  set.add(controller);
}

/** Stops `controller` following `signal` (a no-op when it does not). */
export function unfollow(signal: AbortSignal, controller: Abortable): void {
  followers.get(signal)?.delete(controller);
}
