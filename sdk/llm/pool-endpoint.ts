/**
 * One OpenAI-compatible endpoint inside the pool: its `openai` client, its limits (concurrency queue,
 * requests/min and tokens/min buckets), its health (circuit breaker, `retry-after` pause) and its
 * counters (requests, errors, retries, latency, time to first token).
 *
 * Where you are: `llm/`, created and driven only by `llm-pool.ts`. It never sees the API key again after
 * building the client, and every label it shows is `endpointLabel(baseUrl)`.
 */
import { AttemptClient } from "./attempt-client.js";
import { CircuitBreaker, type CircuitBreakerOptions, type CircuitState } from "./circuit-breaker.js";
import { ConcurrencyLimiter } from "./concurrency-limiter.js";
import { endpointLabel } from "./redact.js";
import { TokenBucket } from "./token-bucket.js";

/** Counters of one endpoint as `pool.stats()` shows them. */
export interface EndpointStats {
  endpoint: string;
  /** Model names served, or `"*"` for all. */
  models: string[] | "*";
  state: CircuitState;
  /** Requests chosen for this endpoint and not finished (waiting for a slot or a rate bucket, or running). */
  outstanding: number;
  inFlight: number;
  queued: number;
  /** Attempts started here. */
  requests: number;
  successes: number;
  /** Failed attempts (any cause). */
  errors: number;
  /** Attempts here that were retries of an earlier failed attempt (on any endpoint). */
  retries: number;
  timeouts: number;
  rateLimited: number;
  /** Times the circuit opened (the endpoint was taken out). */
  circuitTrips: number;
  /** Epoch ms until which a `retry-after` pauses the endpoint, if in the future. */
  pausedUntil?: number;
  /** Errors by HTTP status, or `timeout` / `connection` / `malformed`. */
  errorsByKind: Record<string, number>;
  latencyMs: LatencySummary;
  ttftMs: LatencySummary;
  promptTokens: number;
  completionTokens: number;
}

export interface LatencySummary {
  count: number;
  mean?: number;
  p50?: number;
  p95?: number;
  max?: number;
}

/** Keeps the last `size` samples: enough for percentiles without unbounded memory on long runs. */
class SampleWindow {
  readonly #samples: number[] = [];
  #next = 0;
  #count = 0;
  #sum = 0;
  #max = 0;
  constructor(private readonly size = 2048) {}

  add(value: number): void {
    this.#count++;
    this.#sum += value;
    this.#max = Math.max(this.#max, value);
    if (this.#samples.length < this.size) this.#samples.push(value);
    else this.#samples[this.#next] = value;
    this.#next = (this.#next + 1) % this.size;
  }

  summary(): LatencySummary {
    if (this.#count === 0) return { count: 0 };
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
    const round = (value: number) => Math.round(value * 10) / 10;
    return {
      count: this.#count,
      mean: round(this.#sum / this.#count),
      p50: round(at(0.5)),
      p95: round(at(0.95)),
      max: round(this.#max),
    };
  }
}

export interface PoolEndpointConfig {
  baseUrl: string;
  apiKey?: string;
  models?: string[];
  maxConcurrent?: number;
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  headers?: Record<string, string>;
}

export class PoolEndpoint {
  readonly index: number;
  readonly label: string;
  readonly client: AttemptClient;
  readonly models: ReadonlySet<string> | undefined;
  readonly limiter: ConcurrencyLimiter;
  readonly requestBucket: TokenBucket | undefined;
  readonly tokenBucket: TokenBucket | undefined;
  readonly circuit: CircuitBreaker;
  /** Set from a `retry-after`: no new attempt starts here before this time. */
  pausedUntil = 0;
  /** Chosen and not finished; the least-outstanding balancer compares this. */
  outstanding = 0;

  requests = 0;
  successes = 0;
  errors = 0;
  retries = 0;
  timeouts = 0;
  rateLimited = 0;
  promptTokens = 0;
  completionTokens = 0;
  readonly errorsByKind: Record<string, number> = {};
  readonly latency = new SampleWindow();
  readonly ttft = new SampleWindow();

  constructor(index: number, config: PoolEndpointConfig, health: CircuitBreakerOptions, timeoutMs: number) {
    this.index = index;
    this.label = endpointLabel(config.baseUrl);
    this.models = config.models ? new Set(config.models) : undefined;
    this.client = new AttemptClient({
      baseURL: config.baseUrl,
      // Servers without auth (vLLM, the simulator) still need a non-empty key for the client to start.
      apiKey: config.apiKey ?? "no-key",
      // The pool retries itself (across endpoints, with its own backoff and health tracking).
      maxRetries: 0,
      // The pool's own per-attempt timer fires first; this is a backstop for the client.
      timeout: timeoutMs + 5_000,
      defaultHeaders: config.headers,
    });
    this.limiter = new ConcurrencyLimiter(config.maxConcurrent ?? Infinity);
    this.requestBucket = config.requestsPerMinute ? new TokenBucket(config.requestsPerMinute) : undefined;
    this.tokenBucket = config.tokensPerMinute ? new TokenBucket(config.tokensPerMinute) : undefined;
    this.circuit = new CircuitBreaker(health);
  }

  serves(model: string): boolean {
    return this.models === undefined || this.models.has(model);
  }

  isAvailable(now: number): boolean {
    return now >= this.pausedUntil && this.circuit.canRequest(now);
  }

  availableAt(now: number): number {
    return Math.max(this.pausedUntil, this.circuit.availableAt(now));
  }

  countError(kind: string): void {
    this.errors++;
    this.errorsByKind[kind] = (this.errorsByKind[kind] ?? 0) + 1;
  }

  stats(now: number = Date.now()): EndpointStats {
    return {
      endpoint: this.label,
      models: this.models ? [...this.models] : "*",
      state: this.circuit.state,
      outstanding: this.outstanding,
      inFlight: this.limiter.inFlight,
      queued: this.limiter.queued,
      requests: this.requests,
      successes: this.successes,
      errors: this.errors,
      retries: this.retries,
      timeouts: this.timeouts,
      rateLimited: this.rateLimited,
      circuitTrips: this.circuit.trips,
      ...(this.pausedUntil > now ? { pausedUntil: this.pausedUntil } : {}),
      errorsByKind: { ...this.errorsByKind },
      latencyMs: this.latency.summary(),
      ttftMs: this.ttft.summary(),
      promptTokens: this.promptTokens,
      completionTokens: this.completionTokens,
    };
  }

  close(error: unknown): void {
    this.requestBucket?.close(error);
    this.tokenBucket?.close(error);
  }
}
