/**
 * The health of one endpoint: closed (in use), open (taken out after consecutive failures) and half-open
 * (one probe request allowed after a cooldown; success closes it, failure re-opens with a longer cooldown).
 *
 * Where you are: `llm/`, one per endpoint. Only failures that say the endpoint is unwell (5xx, timeouts,
 * connection errors) are reported here; a 429 pauses the endpoint instead, a 400 is the caller's fault.
 */

export type CircuitState = "closed" | "open" | "half-open";

export interface CircuitBreakerOptions {
  /** Consecutive failures that take an endpoint out. @default 5 */
  failureThreshold?: number;
  /** First cooldown before a probe. @default 1000 */
  cooldownMs?: number;
  /** Cooldowns double on each failed probe up to this. @default 30000 */
  maxCooldownMs?: number;
}

export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  readonly maxCooldownMs: number;
  #state: CircuitState = "closed";
  #consecutiveFailures = 0;
  #openedUntil = 0;
  #currentCooldownMs: number;
  #probeInFlight = false;
  /** How many times the circuit opened. */
  trips = 0;

  constructor({ failureThreshold = 5, cooldownMs = 1000, maxCooldownMs = 30_000 }: CircuitBreakerOptions = {}) {
    this.failureThreshold = failureThreshold;
    this.cooldownMs = cooldownMs;
    this.maxCooldownMs = maxCooldownMs;
    this.#currentCooldownMs = cooldownMs;
  }

  get state(): CircuitState {
    return this.#state;
  }

  get consecutiveFailures(): number {
    return this.#consecutiveFailures;
  }

  /** Whether a request may start now (a half-open circuit admits one probe at a time). */
  canRequest(now: number = Date.now()): boolean {
    if (this.#state === "closed") return true;
    if (this.#probeInFlight) return false;
    return now >= this.#openedUntil;
  }

  /** When a request may next start: now if closed, else the end of the cooldown. */
  availableAt(now: number = Date.now()): number {
    if (this.#state === "closed") return now;
    return Math.max(now, this.#openedUntil);
  }

  /** Call when a request starts; returns true when it is the half-open probe. */
  onStart(now: number = Date.now()): boolean {
    if (this.#state === "closed") return false;
    if (now >= this.#openedUntil && !this.#probeInFlight) {
      this.#state = "half-open";
      this.#probeInFlight = true;
      return true;
    }
    return false;
  }

  onSuccess(): void {
    this.#consecutiveFailures = 0;
    this.#probeInFlight = false;
    this.#state = "closed";
    this.#currentCooldownMs = this.cooldownMs;
  }

  onFailure(now: number = Date.now()): void {
    this.#consecutiveFailures++;
    if (this.#state === "half-open") {
      this.#probeInFlight = false;
      this.#currentCooldownMs = Math.min(this.maxCooldownMs, this.#currentCooldownMs * 2);
      this.#open(now);
    } else if (this.#state === "closed" && this.#consecutiveFailures >= this.failureThreshold) {
      this.#currentCooldownMs = this.cooldownMs;
      this.#open(now);
    }
  }

  /** A probe that ended without a verdict (aborted by the caller, a 4xx) frees the half-open slot. */
  onNeutral(): void {
    this.#probeInFlight = false;
  }

  #open(now: number): void {
    this.#state = "open";
    this.#openedUntil = now + this.#currentCooldownMs;
    this.trips++;
  }
}
