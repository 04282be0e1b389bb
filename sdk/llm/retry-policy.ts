/**
 * When to retry an LLM call and how long to wait: status classification, exponential backoff with
 * full jitter, and the server's own `retry-after` / `retry-after-ms` hints.
 *
 * Where you are: `llm/`, used by the pool (`llm-pool.ts`). Pure functions only; change the defaults here
 * and document them in docs/llm-pool.md.
 */

export interface RetryOptions {
  /** Attempts per call, the first one included. @default 6 */
  maxAttempts: number;
  /** Backoff base: the cap for attempt n is `baseDelayMs * 2^(n-1)`. @default 500 */
  baseDelayMs: number;
  /** Upper bound of one backoff wait (not of a server's `retry-after`). @default 20000 */
  maxDelayMs: number;
  /** Time limit of one attempt, from the moment it has a slot on an endpoint. @default 120000 */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryOptions = { maxAttempts: 6, baseDelayMs: 500, maxDelayMs: 20_000, timeoutMs: 120_000 };

/** A server asking for more than this is capped: a two-hour `retry-after` should not freeze a run. */
export const MAX_RETRY_AFTER_MS = 120_000;

/** 408 timeout, 409 conflict (lock), 429 rate limit and every 5xx may succeed when tried again. */
export function isRetryableStatus(status: number | undefined): boolean {
  if (status === undefined) return true;
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

/** Full jitter (AWS architecture blog): uniform in [0, min(max, base * 2^(attempt-1))]. */
export function backoffDelay(attempt: number, retry: RetryOptions, random: () => number = Math.random): number {
  const cap = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.floor(random() * cap);
}

interface HeaderSource {
  get(name: string): string | null;
}

/** Milliseconds the server asked us to wait, from `retry-after-ms` or `retry-after` (seconds or date). */
export function parseRetryAfter(
  headers: HeaderSource | undefined | null,
  now: number = Date.now(),
): number | undefined {
  if (!headers || typeof headers.get !== "function") return undefined;
  const millis = headers.get("retry-after-ms");
  if (millis !== null && millis.trim() !== "") {
    const value = Number(millis);
    if (Number.isFinite(value) && value >= 0) return Math.min(value, MAX_RETRY_AFTER_MS);
  }
  const after = headers.get("retry-after");
  if (after === null || after.trim() === "") return undefined;
  const seconds = Number(after);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
  const date = Date.parse(after);
  if (Number.isFinite(date)) return Math.min(Math.max(0, date - now), MAX_RETRY_AFTER_MS);
  return undefined;
}
