/**
 * The public pieces of `llm/`: the `LlmClient` spec, the pool over OpenAI-compatible endpoints and its
 * options, and the helpers other folders may reuse (JSON-schema check, response cache).
 *
 * Where you are: `llm/`'s entry point; `sdk/index.ts` re-exports from here. Add an export when another
 * folder needs it; internal pieces (limiters, circuit breaker, wire mapping) stay unexported.
 */
export type { ChatMessage, ChatRequest, ChatResult, LlmClient, ToolDefinition } from "./llm-client.js";
export { LlmPool, createLlmPool, estimateTokens, type LlmPoolStats } from "./llm-pool.js";
export {
  EndpointOptionsSchema,
  LlmPoolOptionsSchema,
  llmPoolOptionsFromEnv,
  parseLlmPoolOptions,
  type EndpointOptions,
  type LlmPoolOptions,
} from "./llm-pool-options.js";
export type { EndpointStats, LatencySummary } from "./pool-endpoint.js";
export type { CircuitState } from "./circuit-breaker.js";
export type { RetryOptions } from "./retry-policy.js";
export type { UsageCounters, UsageSnapshot } from "./usage-tracker.js";
export { validateJsonSchema, type JsonSchema } from "./json-schema-validator.js";
export { ResponseCache, responseCacheKey } from "./response-cache.js";
