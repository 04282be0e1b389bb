/**
 * The LLM pool: one `LlmClient` over many OpenAI-compatible endpoints. It routes each call by model name to
 * the healthy endpoint with the fewest outstanding requests (or, with a `stickyKey`, to the key's preferred
 * replica), respects per-endpoint concurrency and rate limits, retries transient failures with backoff and
 * jitter (possibly on another endpoint), takes failing endpoints out and probes them back in, checks
 * structured output (one repair attempt), caches responses on disk, and counts tokens and latencies.
 *
 * Where you are: `llm/`, the main export of the folder; agents see it only as `LlmClient`. The pieces live
 * next door, one per file (limits, circuit breaker, retry policy, wire format, cache, validator); change the
 * policy there and the orchestration here.
 *
 * @example
 * const pool = createLlmPool({
 *   endpoints: [{ baseUrl: "http://gpu1:8000/v1" }, { baseUrl: "http://gpu2:8000/v1", maxConcurrent: 64 }],
 *   defaultModel: "Qwen/Qwen3-8B",
 * });
 * const reply = await pool.chat({ messages: [{ role: "user", content: "Hi" }], role: "teacher" });
 * await pool.close();
 */
import { setMaxListeners } from "node:events";
import OpenAI from "openai";
import pino, { type Logger } from "pino";
import { ConfigError, LlmApiError, NoEndpointError, StructuredOutputError } from "../errors.js";
import { registerSecret } from "../secrets.js";
import { abortableDelay, abortReason, follow, unfollow } from "./abortable-delay.js";
import { AttemptAbort, type AttemptClient } from "./attempt-client.js";
import type { ChatRequest, ChatResult, LlmClient } from "./llm-client.js";
import { type LlmPoolOptions, llmPoolOptionsFromEnv, parseLlmPoolOptions, withKeyFromEnv } from "./llm-pool-options.js";
import { MalformedReplyError, StreamAssembler, fromWireCompletion, toWireBody, type WireReply } from "./openai-wire.js";
import { type EndpointStats, PoolEndpoint } from "./pool-endpoint.js";
import { redactSecrets } from "./redact.js";
import { ResponseCache, responseCacheKey } from "./response-cache.js";
import { DEFAULT_RETRY, backoffDelay, isRetryableStatus, parseRetryAfter, type RetryOptions } from "./retry-policy.js";
import { parseStructuredReply, repairMessages } from "./structured-output.js";
import { type UsageSnapshot, UsageTracker } from "./usage-tracker.js";

/** Completion tokens assumed for the tokens/min estimate when a request sets no `maxTokens`. */
const DEFAULT_COMPLETION_ESTIMATE = 256;

export interface LlmPoolStats {
  endpoints: EndpointStats[];
  /** Calls made through `chat` (a repair attempt is part of its call). */
  calls: number;
  succeeded: number;
  failed: number;
  /** HTTP attempts across endpoints, and how many of them were retries. */
  attempts: number;
  retries: number;
  /** Structured-output repairs sent, and how many of them fixed the reply. */
  repairs: number;
  repaired: number;
  cache?: { dir: string; hits: number; misses: number; writes: number };
}

/** One attempt's outcome, classified for the retry loop. */
interface AttemptFailure {
  error: LlmApiError;
  retryable: boolean;
}

export class LlmPool implements LlmClient {
  readonly defaultModel: string | undefined;
  readonly retry: RetryOptions;
  readonly sticky: boolean;
  /** Prices by model (currency per million tokens), for budgets. */
  readonly prices: Readonly<Record<string, { input: number; output: number }>>;
  readonly #endpoints: PoolEndpoint[];
  readonly #secrets: string[];
  readonly #logger: Logger;
  readonly #cache: ResponseCache | undefined;
  readonly #usage = new UsageTracker();
  readonly #closeController = new AbortController();
  /** The attempts in flight: `close` aborts them. */
  readonly #attemptAborts = new Set<AttemptAbort>();
  /** No endpoint lists its models: every call has every endpoint as a candidate (no filtering per call). */
  readonly #servesEveryModel: boolean;
  readonly #changeWaiters = new Set<() => void>();
  #roundRobin = 0;
  #closed = false;
  #calls = 0;
  #succeeded = 0;
  #failed = 0;
  #attempts = 0;
  #retries = 0;
  #repairs = 0;
  #repaired = 0;

  constructor(options: LlmPoolOptions = {}) {
    const parsed = parseLlmPoolOptions(options);
    const fromEnv = parsed.endpoints === undefined ? parseLlmPoolOptions(llmPoolOptionsFromEnv()) : undefined;
    const endpoints = (parsed.endpoints ?? fromEnv?.endpoints ?? []).map((endpoint) => withKeyFromEnv(endpoint));
    if (endpoints.length === 0) {
      throw new ConfigError(
        "endpoints",
        "no LLM endpoint: pass endpoints: [{ baseUrl }] or set OPENAI_BASE_URL (or OPENAI_BASE_URLS).",
      );
    }
    this.defaultModel = parsed.defaultModel ?? fromEnv?.defaultModel;
    this.retry = { ...DEFAULT_RETRY, ...stripUndefined(parsed.retry ?? {}) };
    this.sticky = parsed.sticky ?? true;
    this.prices = parsed.prices ?? {};
    this.#secrets = endpoints.flatMap((endpoint) => {
      const secrets = endpoint.apiKey ? [endpoint.apiKey] : [];
      try {
        const url = new URL(endpoint.baseUrl);
        if (url.password) secrets.push(decodeURIComponent(url.password));
      } catch {
        // An invalid URL was already rejected by the schema.
      }
      return secrets;
    });
    // Every log line of the process is scrubbed of these (logger.ts), not only the pool's own.
    for (const secret of this.#secrets) registerSecret(secret);
    this.#endpoints = endpoints.map(
      (endpoint, index) => new PoolEndpoint(index, endpoint, stripUndefined(parsed.health ?? {}), this.retry.timeoutMs),
    );
    this.#logger = (parsed.logger ?? pino({ enabled: false })).child({ component: "llm-pool" });
    this.#servesEveryModel = this.#endpoints.every((endpoint) => endpoint.models === undefined);
    this.#cache = parsed.cacheDir ? new ResponseCache(parsed.cacheDir) : undefined;
    // Waits of many calls may listen on the close signal at once.
    setMaxListeners(0, this.#closeController.signal);
  }

  /** Endpoint labels (base URLs without credentials), in configuration order. */
  get endpoints(): string[] {
    return this.#endpoints.map((endpoint) => endpoint.label);
  }

  /** Tokens and calls by role, model and endpoint. */
  usage(): UsageSnapshot {
    return this.#usage.snapshot();
  }

  stats(): LlmPoolStats {
    const now = Date.now();
    return {
      endpoints: this.#endpoints.map((endpoint) => endpoint.stats(now)),
      calls: this.#calls,
      succeeded: this.#succeeded,
      failed: this.#failed,
      attempts: this.#attempts,
      retries: this.#retries,
      repairs: this.#repairs,
      repaired: this.#repaired,
      ...(this.#cache
        ? {
            cache: {
              dir: this.#cache.dir,
              hits: this.#cache.hits,
              misses: this.#cache.misses,
              writes: this.#cache.writes,
            },
          }
        : {}),
    };
  }

  /** Rejects waiting calls and releases timers. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = new NoEndpointError(this.defaultModel ?? "*", "the LLM pool was closed.");
    this.#closeController.abort(error);
    for (const attempt of [...this.#attemptAborts]) attempt.abort();
    for (const endpoint of this.#endpoints) endpoint.close(error);
    this.#notifyChange();
  }

  /** One call: cache lookup, the request with retries, structured-output check and repair, cache write. */
  async chat(request: ChatRequest): Promise<ChatResult> {
    const model = request.model ?? this.defaultModel;
    if (!model) {
      throw new ConfigError("model", "the request names no model and the pool has no defaultModel (OPENAI_MODEL).");
    }
    if (this.#closed) throw new NoEndpointError(model, "the LLM pool was closed.");
    const candidates = this.#servesEveryModel
      ? this.#endpoints
      : this.#endpoints.filter((endpoint) => endpoint.serves(model));
    if (candidates.length === 0) {
      throw new NoEndpointError(model, `none of the ${this.#endpoints.length} endpoints serves this model.`);
    }
    this.#calls++;
    const cacheKey = this.#cache ? responseCacheKey(request, model) : undefined;
    if (this.#cache && cacheKey) {
      const hit = await this.#cache.get(cacheKey);
      if (hit) {
        this.#succeeded++;
        // attempts 0 says "served from the cache"; no tokens were spent, so usage is not counted again.
        return { ...hit, attempts: 0, latencyMs: 0 };
      }
    }
    try {
      // Without a schema there is nothing to check: one async layer less per call.
      const result = request.responseSchema
        ? await this.#chatWithStructure(request, model, candidates)
        : await this.#callWithRetries(request, model, candidates);
      if (this.#cache && cacheKey) {
        await this.#cache.set(cacheKey, result).catch((error: unknown) => {
          this.#logger.warn({ err: { message: String((error as Error)?.message) } }, "response cache write failed");
        });
      }
      this.#succeeded++;
      return result;
    } catch (error) {
      this.#failed++;
      throw error;
    }
  }

  async #chatWithStructure(request: ChatRequest, model: string, candidates: PoolEndpoint[]): Promise<ChatResult> {
    const first = await this.#callWithRetries(request, model, candidates);
    if (!request.responseSchema || first.toolCalls) return first;
    const parsed = parseStructuredReply(first.content, request.responseSchema.schema);
    if (parsed.success) return { ...first, data: parsed.data };

    this.#repairs++;
    this.#logger.debug({ endpoint: first.endpoint, issues: parsed.issues }, "structured output invalid, repairing");
    const repairRequest: ChatRequest = {
      ...request,
      messages: repairMessages(request.messages, first.content, parsed.issues),
    };
    const second = await this.#callWithRetries(repairRequest, model, candidates);
    const combined: ChatResult = {
      ...second,
      usage: {
        promptTokens: first.usage.promptTokens + second.usage.promptTokens,
        completionTokens: first.usage.completionTokens + second.usage.completionTokens,
      },
      latencyMs: first.latencyMs + second.latencyMs,
      attempts: first.attempts + second.attempts,
    };
    const reparsed = parseStructuredReply(second.content, request.responseSchema.schema);
    if (reparsed.success) {
      this.#repaired++;
      return { ...combined, data: reparsed.data };
    }
    throw new StructuredOutputError(
      `The reply of model '${model}' does not match schema '${request.responseSchema.name}' ` +
        `after a repair attempt: ${truncate(reparsed.issues, 500)}`,
      { issues: reparsed.issues, text: second.content ?? "" },
    );
  }

  /** Throws the caller's abort reason, or the pool's close error. */
  #checkOpen(signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw abortReason(signal);
    if (this.#closed) throw abortReason(this.#closeController.signal);
  }

  /**
   * The waits of a call (limits, backoff, an endpoint coming back) listen on the caller's signal only;
   * the pool's close reaches them through the limiters it closes and the checks of `#closed`. Only an
   * attempt links both signals (into its own controller, which its timeout also aborts): one
   * AbortController per call instead of two (measured: each is a transferable object, ~2% of a call).
   */
  async #callWithRetries(request: ChatRequest, model: string, candidates: PoolEndpoint[]): Promise<ChatResult> {
    const signal = request.signal;
    const body = toWireBody(request, model);
    const estimate = estimateTokens(request);
    const started = performance.now();
    let lastFailure: AttemptFailure | undefined;
    let avoid: PoolEndpoint | undefined;

    for (let attempt = 1; attempt <= this.retry.maxAttempts; attempt++) {
      if (attempt > 1) await abortableDelay(backoffDelay(attempt - 1, this.retry), signal);
      this.#checkOpen(signal);
      // Chosen without a wait (no promise, no turn) when an endpoint is available, as it usually is.
      const endpoint =
        this.#selectNow(candidates, request.stickyKey, avoid, signal, Date.now()) ??
        (await this.#select(candidates, request.stickyKey, avoid, signal));
      this.#attempts++;
      endpoint.requests++;
      if (attempt > 1) {
        this.#retries++;
        endpoint.retries++;
      }
      const outcome = await this.#attempt(endpoint, body, request, estimate, signal);
      if ("reply" in outcome) {
        const { reply } = outcome;
        const usage = reply.usage ?? approximateUsage(estimate, request, reply);
        this.#usage.record({ role: request.role, model: reply.model || model, endpoint: endpoint.label }, usage);
        return {
          content: reply.content,
          ...(reply.toolCalls ? { toolCalls: reply.toolCalls } : {}),
          finishReason: reply.finishReason,
          usage,
          model: reply.model || model,
          endpoint: endpoint.label,
          latencyMs: Math.round(performance.now() - started),
          ...(reply.ttftMs !== undefined ? { ttftMs: reply.ttftMs } : {}),
          attempts: attempt,
        };
      }
      lastFailure = outcome.failure;
      avoid = endpoint;
      const willRetry = lastFailure.retryable && attempt < this.retry.maxAttempts;
      // A retried failure is routine (429 storms); the one that ends the call is worth a warning.
      this.#logger[willRetry ? "debug" : "warn"](
        {
          endpoint: endpoint.label,
          model,
          role: request.role,
          attempt,
          status: lastFailure.error.status,
          willRetry,
          err: { message: lastFailure.error.message },
        },
        "llm attempt failed",
      );
      if (!lastFailure.retryable) throw lastFailure.error;
    }
    const now = Date.now();
    if (lastFailure && !candidates.some((endpoint) => endpoint.isAvailable(now))) {
      throw new NoEndpointError(
        model,
        `all ${candidates.length} endpoint(s) are out of service after ${this.retry.maxAttempts} attempts; ` +
          `last error: ${lastFailure.error.message}`,
        { cause: lastFailure.error, isRetryable: true },
      );
    }
    throw lastFailure!.error;
  }

  /** Picks an endpoint now, or waits until one is back (end of a pause or cooldown, or a finished probe). */
  async #select(
    candidates: PoolEndpoint[],
    stickyKey: string | undefined,
    avoid: PoolEndpoint | undefined,
    signal: AbortSignal | undefined,
  ): Promise<PoolEndpoint> {
    for (;;) {
      const now = Date.now();
      const chosen = this.#selectNow(candidates, stickyKey, avoid, signal, now);
      if (chosen) return chosen;
      const earliest = Math.min(...candidates.map((endpoint) => endpoint.availableAt(now)));
      // Wake on the earliest pause/cooldown end, or sooner when any attempt finishes (a probe may close a circuit).
      await this.#waitForChange(Math.min(Math.max(earliest - now, 5), 1_000), signal);
    }
  }

  /** The endpoint to use now, claimed; undefined when none is available (then `#select` waits). */
  #selectNow(
    candidates: PoolEndpoint[],
    stickyKey: string | undefined,
    avoid: PoolEndpoint | undefined,
    signal: AbortSignal | undefined,
    now: number,
  ): PoolEndpoint | undefined {
    this.#checkOpen(signal);
    // One candidate (the usual single endpoint): no arrays per attempt.
    const preferred =
      candidates.length === 1
        ? candidates[0]!.isAvailable(now)
          ? candidates
          : NONE
        : preferredEndpoints(candidates, avoid, now);
    if (preferred.length === 0) return undefined;
    const chosen =
      this.sticky && stickyKey !== undefined ? rendezvous(preferred, stickyKey) : this.#leastOutstanding(preferred);
    chosen.outstanding++;
    // A half-open endpoint admits exactly one probe; claim it now, before any await.
    if (chosen.circuit.onStart(now)) this.#logger.info({ endpoint: chosen.label }, "probing endpoint");
    return chosen;
  }

  #leastOutstanding(endpoints: readonly PoolEndpoint[]): PoolEndpoint {
    // When every replica declares its size, compare load relative to it, so a replica with maxConcurrent 64
    // takes 8x the calls of one with 8; otherwise compare absolute outstanding counts.
    const sized = endpoints.every((endpoint) => Number.isFinite(endpoint.limiter.limit));
    const load = (endpoint: PoolEndpoint) =>
      sized ? endpoint.outstanding / endpoint.limiter.limit : endpoint.outstanding;
    // Rotate the start so ties do not always go to the first endpoint.
    const start = this.#roundRobin++ % endpoints.length;
    let best = endpoints[start]!;
    for (let offset = 1; offset < endpoints.length; offset++) {
      const endpoint = endpoints[(start + offset) % endpoints.length]!;
      if (load(endpoint) < load(best)) best = endpoint;
    }
    return best;
  }

  #waitForChange(maxMs: number, signal: AbortSignal | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.#changeWaiters.delete(done);
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        done();
        reject(abortReason(signal!));
      };
      const timer = setTimeout(done, maxMs);
      this.#changeWaiters.add(done);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  #notifyChange(): void {
    // Every attempt ends here; a copy of an empty set was an array per call.
    if (this.#changeWaiters.size === 0) return;
    for (const waiter of [...this.#changeWaiters]) waiter();
  }

  /** One HTTP attempt on one endpoint: limits, the request with its timer, classification of the outcome. */
  async #attempt(
    endpoint: PoolEndpoint,
    body: ReturnType<typeof toWireBody>,
    request: ChatRequest,
    estimate: number,
    signal: AbortSignal | undefined,
  ): Promise<{ reply: WireReply } | { failure: AttemptFailure }> {
    let release: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    let timedOut = false;
    let started = 0;
    let attempt: AttemptAbort | undefined;
    try {
      // The waits are skipped when a slot and the buckets' tokens are there now: an `await` of a settled
      // promise (or of `undefined`, for a bucket the endpoint does not have) still costs a turn each.
      release = endpoint.limiter.tryAcquire() ?? (await endpoint.limiter.acquire(signal));
      const { requestBucket, tokenBucket } = endpoint;
      if (requestBucket && !requestBucket.tryTake(1)) await requestBucket.take(1, signal);
      if (tokenBucket && !tokenBucket.tryTake(estimate)) await tokenBucket.take(estimate, signal);
      this.#checkOpen(signal);
      // The request is aborted by the call's signal, the pool's close, or the timeout below, through the
      // client's own controller (attempt-client.ts): no AbortController of ours per attempt.
      const abort = new AttemptAbort();
      attempt = abort;
      if (signal) follow(signal, abort);
      this.#attemptAborts.add(abort);
      timer = setTimeout(() => {
        timedOut = true;
        abort.abort();
      }, this.retry.timeoutMs);
      started = performance.now();
      const reply = request.stream
        ? await streamOnce(endpoint.client, body, abort, started)
        : fromWireCompletion(await endpoint.client.chat.completions.create(body, abort.requestOptions()), body.model);
      const latency = performance.now() - started;
      endpoint.latency.add(latency);
      if (reply.ttftMs !== undefined) endpoint.ttft.add(reply.ttftMs);
      endpoint.successes++;
      if (endpoint.circuit.state !== "closed") this.#logger.info({ endpoint: endpoint.label }, "endpoint back in");
      endpoint.circuit.onSuccess();
      if (reply.usage) {
        endpoint.promptTokens += reply.usage.promptTokens;
        endpoint.completionTokens += reply.usage.completionTokens;
        endpoint.tokenBucket?.adjust(reply.usage.promptTokens + reply.usage.completionTokens - estimate);
      }
      return { reply };
    } catch (error) {
      if ((signal?.aborted || this.#closed) && !timedOut) {
        endpoint.circuit.onNeutral();
        throw abortReason(signal?.aborted ? signal : this.#closeController.signal);
      }
      const failure = this.#classify(endpoint, error, timedOut);
      return { failure };
    } finally {
      if (timer) clearTimeout(timer);
      if (attempt) {
        if (signal) unfollow(signal, attempt);
        this.#attemptAborts.delete(attempt);
      }
      release?.();
      endpoint.outstanding--;
      this.#notifyChange();
    }
  }

  #classify(endpoint: PoolEndpoint, error: unknown, timedOut: boolean): AttemptFailure {
    const now = Date.now();
    const redact = (text: string) => redactSecrets(text, this.#secrets);
    if (timedOut) {
      endpoint.timeouts++;
      endpoint.countError("timeout");
      this.#circuitFailure(endpoint, now);
      const message = `no complete reply within ${this.retry.timeoutMs} ms`;
      return { error: new LlmApiError(endpoint.label, message, { isRetryable: true }), retryable: true };
    }
    if (error instanceof OpenAI.APIError && typeof error.status === "number") {
      const status = error.status;
      const retryable = isRetryableStatus(status);
      const retryAfterMs = parseRetryAfter(error.headers, now);
      endpoint.countError(String(status));
      if (retryAfterMs !== undefined) endpoint.pausedUntil = Math.max(endpoint.pausedUntil, now + retryAfterMs);
      if (status === 429) {
        endpoint.rateLimited++;
        // Cool the endpoint down even without a hint, so the other calls stop piling onto it.
        if (retryAfterMs === undefined)
          endpoint.pausedUntil = Math.max(endpoint.pausedUntil, now + this.retry.baseDelayMs);
        endpoint.circuit.onNeutral();
      } else if (status >= 500 || status === 408) {
        this.#circuitFailure(endpoint, now);
      } else {
        endpoint.circuit.onNeutral();
      }
      const message = redact(error.message || `HTTP ${status}`);
      return {
        error: new LlmApiError(endpoint.label, message, {
          status,
          ...(retryAfterMs !== undefined ? { retryAfter: retryAfterMs / 1000 } : {}),
          isRetryable: retryable,
          cause: sanitizedCause(error, redact),
        }),
        retryable,
      };
    }
    // No HTTP status: the connection failed or the 200 reply was unusable (bad JSON, cut-off stream).
    const kind =
      error instanceof MalformedReplyError ||
      error instanceof SyntaxError ||
      (error instanceof OpenAI.OpenAIError && !(error instanceof OpenAI.APIConnectionError))
        ? "malformed"
        : "connection";
    endpoint.countError(kind);
    this.#circuitFailure(endpoint, now);
    const message = redact(
      kind === "malformed"
        ? `malformed reply: ${(error as Error)?.message ?? String(error)}`
        : `request failed: ${(error as Error)?.message ?? String(error)}`,
    );
    return {
      error: new LlmApiError(endpoint.label, message, { isRetryable: true, cause: sanitizedCause(error, redact) }),
      retryable: true,
    };
  }

  #circuitFailure(endpoint: PoolEndpoint, now: number): void {
    const before = endpoint.circuit.state;
    endpoint.circuit.onFailure(now);
    if (endpoint.circuit.state === "open" && before !== "open") {
      this.#logger.warn(
        { endpoint: endpoint.label, consecutiveFailures: endpoint.circuit.consecutiveFailures },
        "endpoint taken out",
      );
    }
  }
}

/** Creates a pool; options are validated here (a bad one throws `ConfigError` naming its path). */
export function createLlmPool(options: LlmPoolOptions = {}): LlmPool {
  return new LlmPool(options);
}

async function streamOnce(
  client: AttemptClient,
  body: ReturnType<typeof toWireBody>,
  abort: AttemptAbort,
  started: number,
): Promise<WireReply> {
  const stream = await client.chat.completions.create(
    { ...body, stream: true, stream_options: { include_usage: true } },
    abort.requestOptions(),
  );
  const assembler = new StreamAssembler(body.model);
  for await (const chunk of stream) assembler.add(chunk);
  const reply = assembler.finish();
  return {
    ...reply,
    ...(assembler.firstTokenAt !== undefined
      ? { ttftMs: Math.round((assembler.firstTokenAt - started) * 10) / 10 }
      : {}),
  };
}

const NONE: readonly PoolEndpoint[] = [];

/** The available endpoints, without `avoid` (the last one that failed) when there are others. */
function preferredEndpoints(
  candidates: readonly PoolEndpoint[],
  avoid: PoolEndpoint | undefined,
  now: number,
): readonly PoolEndpoint[] {
  const available = candidates.filter((endpoint) => endpoint.isAvailable(now));
  return available.length > 1 && avoid ? available.filter((endpoint) => endpoint !== avoid) : available;
}

/** Highest-random-weight hashing: a key keeps its replica, and only keys of a lost replica move. */
function rendezvous(endpoints: readonly PoolEndpoint[], key: string): PoolEndpoint {
  if (endpoints.length === 1) return endpoints[0]!;
  let best = endpoints[0]!;
  let bestWeight = -1;
  for (const endpoint of endpoints) {
    const weight = weightOf(`${key}\u0000${endpoint.label}\u0000${endpoint.index}`);
    if (weight > bestWeight) {
      best = endpoint;
      bestWeight = weight;
    }
  }
  return best;
}

/**
 * A 53-bit string hash (cyrb53: two multiply-xorshift lanes) for rendezvous weights: routing needs spread,
 * not secrecy, and a sha256 per endpoint per call cost more than the rest of the choice.
 */
function weightOf(text: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** A rough pre-call estimate (4 characters a token) for the tokens/min bucket; corrected from `usage`. */
export function estimateTokens(request: ChatRequest): number {
  let characters = 0;
  for (const message of request.messages) {
    characters += (message.content ?? "").length + 8;
    if (message.role === "assistant" && message.toolCalls) {
      for (const call of message.toolCalls) characters += call.function.name.length + call.function.arguments.length;
    }
  }
  if (request.tools) characters += JSON.stringify(request.tools).length;
  if (request.responseSchema) characters += JSON.stringify(request.responseSchema.schema).length;
  return Math.ceil(characters / 4) + (request.maxTokens ?? DEFAULT_COMPLETION_ESTIMATE);
}

/** When a server sends no `usage`, count something rather than nothing (the tokens/min bucket keeps the estimate). */
function approximateUsage(estimate: number, request: ChatRequest, reply: WireReply) {
  const completion = Math.ceil(
    ((reply.content ?? "").length +
      (reply.toolCalls ?? []).reduce((sum, call) => sum + call.function.arguments.length, 0)) /
      4,
  );
  return {
    promptTokens: Math.max(0, estimate - (request.maxTokens ?? DEFAULT_COMPLETION_ESTIMATE)),
    completionTokens: completion,
  };
}

/** The original error's name and redacted message only: its other fields may hold request details. */
function sanitizedCause(error: unknown, redact: (text: string) => string): Error {
  const cause = new Error(redact((error as Error)?.message ?? String(error)));
  cause.name = (error as Error)?.name ?? "Error";
  return cause;
}

function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length)}…`;
}

function stripUndefined<T extends object>(value: T): { [K in keyof T]-?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, child]) => child !== undefined)) as never;
}
