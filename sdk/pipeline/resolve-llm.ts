/**
 * Which LLM a run talks to: a client you pass, a base URL, pool options, `OPENAI_BASE_URL`, or, with
 * none of these (or `"simulator"`), the built-in simulator started in-process on a free loopback port
 * (offline default).
 *
 * Where you are: `pipeline/`. Whatever this opens, the returned `close` shuts.
 */
import type { Logger } from "pino";
import { createLlmPool } from "../llm/llm-pool.js";
import { llmPoolOptionsFromEnv, withKeyFromEnv, type LlmPoolOptions } from "../llm/llm-pool-options.js";
import { probeEndpoints } from "../llm/endpoint-probe.js";
import { ConfigError } from "../errors.js";
import type { LlmClient } from "../llm/llm-client.js";
import { startSimulator } from "../llm/simulator/index.js";

export type LlmOption = LlmClient | string | LlmPoolOptions | undefined;

function isClient(value: unknown): value is LlmClient {
  return typeof value === "object" && value !== null && typeof (value as LlmClient).chat === "function";
}

/** What to do about unusable endpoints where the process chose them itself. */
const LOCAL_HINT = "Check --llm / OPENAI_BASE_URL and OPENAI_API_KEY, or set neither to use the built-in simulator.";

/**
 * Probes the endpoints a pool will use; fails when none answers, and picks the first listed model when
 * no model was named (a vLLM or SGLang server serves exactly one).
 */
async function checkedPool(options: LlmPoolOptions, logger?: Logger, hint = LOCAL_HINT): Promise<LlmPoolOptions> {
  const endpoints = options.endpoints ?? [];
  if (endpoints.length === 0) return options;
  const probes = await probeEndpoints(endpoints.map((endpoint) => withKeyFromEnv(endpoint)));
  const usable = probes.filter((probe) => probe.ok);
  const problems = probes.filter((probe) => !probe.ok).map((probe) => `${probe.label}: ${probe.problem}`);
  if (usable.length === 0) {
    throw new ConfigError("llm", `no LLM endpoint is usable (${problems.join("; ")}). ${hint}`);
  }
  if (problems.length > 0)
    logger?.warn({ problems }, "some LLM endpoints are not usable; the pool probes them back in");
  if (options.defaultModel) return options;
  const model = usable.flatMap((probe) => probe.models)[0];
  if (model === undefined)
    throw new ConfigError("model", "no model was named and the endpoint lists none: pass --model (or OPENAI_MODEL)");
  logger?.info({ model }, "using the model the endpoint serves");
  return { ...options, defaultModel: model };
}

export async function resolveLlm(
  option: LlmOption,
  defaults: {
    model?: string;
    logger?: Logger;
    simulator?: Record<string, unknown>;
    /** The advice when no endpoint is usable (a NATS worker opening its run's choice has its own). */
    unusableHint?: string;
  },
): Promise<{ client: LlmClient; close(): Promise<void>; description: string }> {
  if (isClient(option)) return { client: option, close: async () => {}, description: "custom client" };
  const base = { defaultModel: defaults.model, logger: defaults.logger };
  // "simulator" asks for it even where OPENAI_BASE_URL is set (a NATS run chose it for every worker).
  const external =
    option === "simulator"
      ? undefined
      : typeof option === "string"
        ? { ...base, endpoints: [{ baseUrl: option, apiKey: process.env.OPENAI_API_KEY }] }
        : option !== undefined
          ? { ...base, ...option, defaultModel: option.defaultModel ?? defaults.model }
          : process.env.OPENAI_BASE_URL || process.env.OPENAI_BASE_URLS
            ? {
                ...llmPoolOptionsFromEnv(),
                ...(defaults.model ? { defaultModel: defaults.model } : {}),
                logger: defaults.logger,
              }
            : undefined;
  if (external !== undefined) {
    const pool = createLlmPool(await checkedPool(external, defaults.logger, defaults.unusableHint));
    return { client: pool, close: () => pool.close(), description: pool.endpoints.join(", ") };
  }
  const simulator = await startSimulator({ ...defaults.simulator });
  const pool = createLlmPool({
    ...base,
    defaultModel: defaults.model ?? simulator.config.modelName,
    endpoints: [{ baseUrl: simulator.baseUrl, apiKey: "sim" }],
  });
  return {
    client: pool,
    close: async () => {
      await pool.close();
      await simulator.close();
    },
    description: `built-in simulator (profile ${simulator.config.profile}, speed ${simulator.config.speed}) at ${simulator.baseUrl}`,
  };
}
