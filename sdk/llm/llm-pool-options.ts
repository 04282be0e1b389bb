/**
 * The options of `createLlmPool`, as one zod schema validated at the boundary, and how they are read
 * from the environment (OPENAI_BASE_URL / OPENAI_BASE_URLS / OPENAI_API_KEY / OPENAI_MODEL).
 *
 * Where you are: `llm/`. Add an option here first (schema + `@default` doc), then use it in the pool.
 * Validation errors are `ConfigError`s naming the option path (`endpoints[1].baseUrl`); they never echo
 * the values, so a mistyped key is not printed.
 */
import { formatIssuePath } from "../schema/issue-path.js";
import type { Logger } from "pino";
import { z } from "zod";
import { ConfigError } from "../errors.js";

const positiveInt = z.number().int().positive();
const positive = z.number().positive();

export const EndpointOptionsSchema = z
  .object({
    /** OpenAI-compatible base URL, usually ending in `/v1`. */
    baseUrl: z.url({ protocol: /^https?$/ }),
    /** API key; servers without auth (vLLM, the simulator) get a placeholder. */
    apiKey: z.string().optional(),
    /**
     * The environment variable holding the key, read where the pool runs (on NATS workers: each
     * worker's environment, so the key never travels). Used when `apiKey` is not given.
     */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name")
      .optional(),
    /** Model names this endpoint serves. @default every model */
    models: z.array(z.string().min(1)).min(1).optional(),
    /** Requests in flight at once; more wait in a FIFO queue. @default unlimited */
    maxConcurrent: positiveInt.optional(),
    /** Requests started per minute (token bucket, one second of burst). @default unlimited */
    requestsPerMinute: positive.optional(),
    /** Prompt + completion tokens per minute; estimated before a call, corrected from `usage`. @default unlimited */
    tokensPerMinute: positive.optional(),
    /** Extra HTTP headers sent with every request. */
    headers: z.record(z.string(), z.string()).optional(),
  })
  .strict();
export type EndpointOptions = z.input<typeof EndpointOptionsSchema>;

export const RetryOptionsSchema = z
  .object({
    /** Attempts per call, the first included. @default 6 */
    maxAttempts: positiveInt.optional(),
    /** Backoff base (full jitter, doubling). @default 500 */
    baseDelayMs: z.number().nonnegative().optional(),
    /** Largest backoff wait. @default 20000 */
    maxDelayMs: z.number().nonnegative().optional(),
    /** Time limit of one attempt. @default 120000 */
    timeoutMs: positive.optional(),
  })
  .strict();

export const HealthOptionsSchema = z
  .object({
    /** Consecutive failures (5xx, timeout, connection) that take an endpoint out. @default 5 */
    failureThreshold: positiveInt.optional(),
    /** Cooldown before the first probe. @default 1000 */
    cooldownMs: z.number().nonnegative().optional(),
    /** Cooldowns double after each failed probe up to this. @default 30000 */
    maxCooldownMs: z.number().nonnegative().optional(),
  })
  .strict();

export const LlmPoolOptionsSchema = z
  .object({
    /** @default read from the environment (`llmPoolOptionsFromEnv`) */
    endpoints: z.array(EndpointOptionsSchema).optional(),
    /** Model used when a request names none. @default OPENAI_MODEL */
    defaultModel: z.string().min(1).optional(),
    retry: RetryOptionsSchema.optional(),
    health: HealthOptionsSchema.optional(),
    /** Route requests with a `stickyKey` to the same endpoint while it is healthy. @default true */
    sticky: z.boolean().optional(),
    /**
     * Prices by model name, in any currency per million tokens (`input` = prompt, `output` = completion):
     * what `run({ budget: { cost } })` and `pool.usage()` cost with. @default none
     */
    prices: z
      .record(z.string(), z.object({ input: z.number().nonnegative(), output: z.number().nonnegative() }).strict())
      .optional(),
    /** Directory of the on-disk response cache. @default no cache */
    cacheDir: z.string().min(1).optional(),
    /** Parent logger; the pool logs through a child `{ component: "llm-pool" }`. @default silent */
    logger: z
      .custom<Logger>(
        (value) => typeof value === "object" && value !== null && "child" in value,
        "expected a pino logger",
      )
      .optional(),
  })
  .strict();
export type LlmPoolOptions = z.input<typeof LlmPoolOptionsSchema>;

/** The endpoint with its key read from `apiKeyEnv` when it has no `apiKey` of its own. */
export function withKeyFromEnv<E extends { apiKey?: string; apiKeyEnv?: string }>(
  endpoint: E,
  env: NodeJS.ProcessEnv = process.env,
): E {
  if (endpoint.apiKey || !endpoint.apiKeyEnv || !env[endpoint.apiKeyEnv]) return endpoint;
  return { ...endpoint, apiKey: env[endpoint.apiKeyEnv] };
}

/** Validates options, throwing a `ConfigError` whose `option` is the first failing path. */
export function parseLlmPoolOptions(options: unknown): z.output<typeof LlmPoolOptionsSchema> {
  const result = LlmPoolOptionsSchema.safeParse(options ?? {});
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = formatIssuePath(issue.path);
  const others = result.error.issues.length > 1 ? ` (and ${result.error.issues.length - 1} more)` : "";
  throw new ConfigError(path || "<options>", `${issue.message}${others}`);
}

/**
 * Pool options from the environment: `OPENAI_BASE_URLS` (comma-separated, several replicas) or
 * `OPENAI_BASE_URL`, the shared `OPENAI_API_KEY`, and `OPENAI_MODEL` as the default model. With only a key
 * set, the endpoint is api.openai.com, as in the `openai` client itself.
 */
export function llmPoolOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): LlmPoolOptions {
  const apiKey = env.OPENAI_API_KEY?.trim() || undefined;
  const urls = (env.OPENAI_BASE_URLS ?? "")
    .split(",")
    .map((url) => url.trim())
    .filter(Boolean);
  if (urls.length === 0 && env.OPENAI_BASE_URL?.trim()) urls.push(env.OPENAI_BASE_URL.trim());
  if (urls.length === 0 && apiKey) urls.push("https://api.openai.com/v1");
  const defaultModel = env.OPENAI_MODEL?.trim() || undefined;
  return {
    endpoints: urls.map((baseUrl) => ({ baseUrl, ...(apiKey ? { apiKey } : {}) })),
    ...(defaultModel ? { defaultModel } : {}),
  };
}
