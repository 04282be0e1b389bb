/**
 * A `setTimeout` promise that rejects with the signal's reason when the caller aborts.
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

/**
 * A signal that aborts when any of `signals` does, with a `dispose` that detaches it. Used instead of
 * `AbortSignal.any` because the pool's close signal lives as long as the pool, and composite signals
 * hanging off it for every call were retained by some Node 20 releases.
 */
export function linkSignals(signals: (AbortSignal | undefined)[]): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const sources = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  const already = sources.find((signal) => signal.aborted);
  if (already) {
    controller.abort(already.reason);
    return { signal: controller.signal, dispose: () => {} };
  }
  const listeners = sources.map((source) => {
    const listener = () => {
      controller.abort(source.reason);
      dispose();
    };
    source.addEventListener("abort", listener, { once: true });
    return { source, listener };
  });
  const dispose = () => {
    for (const { source, listener } of listeners) source.removeEventListener("abort", listener);
  };
  return { signal: controller.signal, dispose };
}
