/**
 * Which LLM a run talks to: a client you pass, a base URL, pool options, `OPENAI_BASE_URL`, or, with
 * none of these, the built-in simulator started in-process on a free loopback port (offline default).
 *
 * Where you are: `pipeline/`. Whatever this opens, the returned `close` shuts.
 */
import type { Logger } from "pino";
import { createLlmPool } from "../llm/llm-pool.js";
import type { LlmPoolOptions } from "../llm/llm-pool-options.js";
import type { LlmClient } from "../llm/llm-client.js";
import { startSimulator } from "../llm/simulator/index.js";

export type LlmOption = LlmClient | string | LlmPoolOptions | undefined;

function isClient(value: unknown): value is LlmClient {
  return typeof value === "object" && value !== null && typeof (value as LlmClient).chat === "function";
}

export async function resolveLlm(
  option: LlmOption,
  defaults: { model?: string; logger?: Logger; simulator?: Record<string, unknown> },
): Promise<{ client: LlmClient; close(): Promise<void>; description: string }> {
  if (isClient(option)) return { client: option, close: async () => {}, description: "custom client" };
  const base = { defaultModel: defaults.model, logger: defaults.logger };
  if (typeof option === "string") {
    const pool = createLlmPool({ ...base, endpoints: [{ baseUrl: option, apiKey: process.env.OPENAI_API_KEY }] });
    return { client: pool, close: () => pool.close(), description: option };
  }
  if (option !== undefined) {
    const pool = createLlmPool({ ...base, ...option });
    return { client: pool, close: () => pool.close(), description: "pool" };
  }
  if (process.env.OPENAI_BASE_URL || process.env.OPENAI_BASE_URLS) {
    const pool = createLlmPool(base);
    return { client: pool, close: () => pool.close(), description: "environment" };
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
    description: `built-in simulator at ${simulator.baseUrl}`,
  };
}
