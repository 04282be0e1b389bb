/**
 * The LLM a run uses, as its NATS run record carries it to every worker: base URLs, model and pool
 * options (never keys), or the built-in simulator with its settings, or the endpoints registered on
 * NATS, or "each worker's own choice".
 *
 * Where you are: `schema/`. The driver builds one (pipeline/llm-selection.ts); workers parse it with
 * this schema and build exactly that (worker/worker.ts). Keys come from the worker's environment:
 * `apiKeyEnv` names the variable for one endpoint, else OPENAI_API_KEY.
 */
import { z } from "zod";

/** An environment variable name: what `apiKeyEnv` may hold. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const SelectedEndpointSchema = z
  .object({
    /** Without user info: credentials never travel in the record. */
    baseUrl: z.url({ protocol: /^https?$/ }),
    /** The environment variable holding this endpoint's key on each worker. @default OPENAI_API_KEY */
    apiKeyEnv: z.string().regex(ENV_NAME, "an environment variable name").optional(),
    models: z.array(z.string().min(1)).min(1).optional(),
    /** Limits apply per worker process (each worker has its own pool). */
    maxConcurrent: z.number().int().positive().optional(),
    requestsPerMinute: z.number().positive().optional(),
    tokensPerMinute: z.number().positive().optional(),
  })
  .strict();
export type SelectedEndpoint = z.infer<typeof SelectedEndpointSchema>;

const defaultModel = z.string().min(1).optional();

export const LlmSelectionSchema = z.discriminatedUnion("kind", [
  /** These OpenAI-compatible endpoints, through each worker's LLM pool. */
  z
    .object({
      kind: z.literal("endpoints"),
      endpoints: z.array(SelectedEndpointSchema).min(1),
      defaultModel,
      /** Pool retry / health / sticky options, validated by the pool. */
      retry: z.record(z.string(), z.unknown()).optional(),
      health: z.record(z.string(), z.unknown()).optional(),
      sticky: z.boolean().optional(),
    })
    .strict(),
  /** The built-in simulator, started inside each worker with these settings (profile, speed, seed...). */
  z.object({ kind: z.literal("simulator"), settings: z.record(z.string(), z.unknown()), defaultModel }).strict(),
  /** Every endpoint registered on NATS (`matrix endpoint register`), as each worker finds them. */
  z.object({ kind: z.literal("registered"), defaultModel }).strict(),
  /** Each worker's own choice: its --llm, else OPENAI_BASE_URL, else registered endpoints, else its simulator. */
  z.object({ kind: z.literal("workers"), defaultModel }).strict(),
  /** A client object that exists only in the driver: only the driver's local agents serve chat roles. */
  z.object({ kind: z.literal("driver") }).strict(),
]);
export type LlmSelection = z.infer<typeof LlmSelectionSchema>;
