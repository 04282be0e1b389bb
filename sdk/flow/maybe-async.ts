/**
 * Continues with a value that may or may not be a promise, without a promise when it is not.
 *
 * Where you are: `flow/`; runHop and the driver's row source use `isThenable` too. A flow's `next` runs
 * once a hop, and most routers and edge conditions answer synchronously: as an `async` function, each
 * hop still cost a promise, a generator and two turns of the microtask queue for them (runHop takes a
 * plain FlowStep as it is). A user's function may return any thenable, so this checks for `then`, not
 * for `Promise`.
 */
export type MaybePromise<T> = T | PromiseLike<T>;

/** Whether `value` has a `then` method (what `await` would wait for). */
export function isThenable<T = unknown>(value: unknown): value is PromiseLike<T> {
  return typeof (value as PromiseLike<T> | null)?.then === "function";
}

/** `then(value)` at once for a plain value; after it settles for a thenable (a rejection rejects). */
export function thenMaybe<T, R>(value: MaybePromise<T>, then: (value: T) => MaybePromise<R>): R | Promise<R> {
  if (isThenable<T>(value)) return Promise.resolve(value).then(then);
  const result = then(value as T);
  return isThenable<R>(result) ? Promise.resolve(result) : (result as R);
}
