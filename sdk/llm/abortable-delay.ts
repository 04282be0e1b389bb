/**
 * A `setTimeout` promise that rejects with the signal's reason when the caller aborts.
 *
 * Also: linking abort signals cheaply (`onAbort`, `linkSignals`).
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

/** One listener per long-lived signal; the calls hanging off it are kept in a Set. */
const fanouts = new WeakMap<AbortSignal, Set<() => void>>();

/**
 * Calls `callback` once when `signal` aborts; returns the function that detaches it. Node's EventTarget
 * walks every listener of a signal on each add and remove (its duplicate check), so with one listener
 * per call in flight on the run's or the pool's signal, every call paid for all the others (measured: 5%
 * of the CPU of an LLM call at 64 in flight). Here the signal gets one listener, and a call costs a Set
 * insert and delete.
 */
export function onAbort(signal: AbortSignal, callback: () => void): () => void {
  let callbacks = fanouts.get(signal);
  if (callbacks === undefined) {
    const set = new Set<() => void>();
    callbacks = set;
    fanouts.set(signal, set);
    signal.addEventListener(
      "abort",
      () => {
        fanouts.delete(signal);
        for (const call of [...set]) call();
        set.clear();
      },
      { once: true },
    );
  }
  const set = callbacks;
  set.add(callback);
  return () => void set.delete(callback);
}

/**
 * A controller that aborts when any of `signals` does (with that signal's reason), with a `dispose`
 * that detaches it. Used instead of `AbortSignal.any` because the pool's close signal lives as long as
 * the pool, and composite signals hanging off it for every call were retained by some Node 20 releases.
 * The controller is returned so the caller can also abort it itself (an attempt's timeout).
 */
export function linkSignals(signals: (AbortSignal | undefined)[]): {
  controller: AbortController;
  signal: AbortSignal;
  dispose: () => void;
} {
  const controller = new AbortController();
  const sources = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  const already = sources.find((signal) => signal.aborted);
  if (already) {
    controller.abort(already.reason);
    return { controller, signal: controller.signal, dispose: () => {} };
  }
  const detach = sources.map((source) =>
    onAbort(source, () => {
      controller.abort(source.reason);
      dispose();
    }),
  );
  const dispose = () => {
    for (const off of detach) off();
  };
  return { controller, signal: controller.signal, dispose };
}
