/**
 * Which LLM a run's workers use: the driver turns the run's `llm` option into an `LlmSelection` for
 * the run record, and a worker (or the driver's own local agents) turns the selection back into the
 * LLM option it opens, taking keys from its own environment.
 *
 * Where you are: `pipeline/`. `llm` may be a base URL, pool options, a client (driver-only), or one of
 * the words `"workers"` (each worker's own --llm / OPENAI_BASE_URL / registered endpoints / simulator),
 * `"registered"` (the endpoints registered on NATS) or `"simulator"`. Without one: OPENAI_BASE_URL(S)
 * of the driver's environment, else the endpoints registered on NATS if any, else the simulator with
 * the run's simulator settings. Keys, URL credentials, headers and cache directories stay behind.
 */
import { ConfigError } from "../errors.js";
import { llmPoolOptionsFromEnv, type LlmPoolOptions } from "../llm/llm-pool-options.js";
import { endpointLabel } from "../llm/redact.js";
import { resolveSimulatorConfig } from "../llm/simulator/index.js";
import type { LlmSelection, SelectedEndpoint } from "../schema/llm-selection.js";
import type { LlmOption } from "./resolve-llm.js";

/** Words `llm` may be instead of a URL. */
export const LLM_CHOICES = ["workers", "registered", "simulator"] as const;

export interface SelectRunLlmInput {
  llm: LlmOption;
  /** The run's default model (run option, else the pipeline's). */
  model?: string;
  simulator?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** How many endpoints are registered on NATS now (asked only when nothing else chose). */
  registeredEndpoints?: () => Promise<number>;
}

export interface SelectedLlm {
  selection: LlmSelection;
  /** Things the driver had that workers will not get (keys, headers): say so once. */
  notes: string[];
}

const isClient = (value: unknown): boolean =>
  typeof value === "object" && value !== null && typeof (value as { chat?: unknown }).chat === "function";

/** The URL without credentials, and a note when it had some. */
function publicUrl(baseUrl: string, notes: string[]): string {
  const url = new URL(baseUrl);
  if (url.username || url.password) {
    notes.push(`credentials in ${endpointLabel(baseUrl)} stay with the driver; workers use their own keys`);
    url.username = "";
    url.password = "";
  }
  return url.toString().replace(/\/$/, "");
}

function fromPoolOptions(options: LlmPoolOptions, model: string | undefined, notes: string[]): LlmSelection {
  const endpoints = (options.endpoints ?? []).map((endpoint, index): SelectedEndpoint => {
    if (endpoint.apiKey && !endpoint.apiKeyEnv)
      notes.push(`endpoints[${index}].apiKey stays with the driver; workers use OPENAI_API_KEY (or set apiKeyEnv)`);
    if (endpoint.headers) notes.push(`endpoints[${index}].headers stay with the driver`);
    return {
      baseUrl: publicUrl(endpoint.baseUrl, notes),
      ...(endpoint.apiKeyEnv ? { apiKeyEnv: endpoint.apiKeyEnv } : {}),
      ...(endpoint.models ? { models: [...endpoint.models] } : {}),
      ...(endpoint.maxConcurrent ? { maxConcurrent: endpoint.maxConcurrent } : {}),
      ...(endpoint.requestsPerMinute ? { requestsPerMinute: endpoint.requestsPerMinute } : {}),
      ...(endpoint.tokensPerMinute ? { tokensPerMinute: endpoint.tokensPerMinute } : {}),
    };
  });
  if (endpoints.length === 0) throw new ConfigError("llm.endpoints", "no endpoint given");
  if (options.cacheDir) notes.push("the response cache (cacheDir) is the driver's; workers do not share it");
  const defaultModel = model ?? options.defaultModel;
  return {
    kind: "endpoints",
    endpoints,
    ...(defaultModel ? { defaultModel } : {}),
    ...(options.retry ? { retry: { ...options.retry } } : {}),
    ...(options.health ? { health: { ...options.health } } : {}),
    ...(options.sticky !== undefined ? { sticky: options.sticky } : {}),
  };
}

/** The selection a NATS run records for its workers. */
export async function selectRunLlm(input: SelectRunLlmInput): Promise<SelectedLlm> {
  const env = input.env ?? process.env;
  const notes: string[] = [];
  const model = input.model;
  const withModel = model ? { defaultModel: model } : {};
  const { llm } = input;
  if (isClient(llm)) return { selection: { kind: "driver" }, notes };
  if (llm === "workers" || llm === "registered") return { selection: { kind: llm, ...withModel }, notes };
  if (llm === "simulator")
    return { selection: { kind: "simulator", settings: { ...input.simulator }, ...withModel }, notes };
  if (typeof llm === "string") {
    try {
      return { selection: { kind: "endpoints", endpoints: [{ baseUrl: publicUrl(llm, notes) }], ...withModel }, notes };
    } catch {
      throw new ConfigError(
        "llm",
        `expected a base URL (http://host:port/v1) or one of ${LLM_CHOICES.map((c) => `'${c}'`).join(", ")}`,
      );
    }
  }
  if (llm !== undefined) return { selection: fromPoolOptions(llm as LlmPoolOptions, model, notes), notes };
  if (env.OPENAI_BASE_URL?.trim() || env.OPENAI_BASE_URLS?.trim())
    return { selection: fromPoolOptions(llmPoolOptionsFromEnv(env), model ?? env.OPENAI_MODEL?.trim(), []), notes };
  if (input.registeredEndpoints && (await input.registeredEndpoints()) > 0)
    return { selection: { kind: "registered", ...withModel }, notes };
  return { selection: { kind: "simulator", settings: { ...input.simulator }, ...withModel }, notes };
}

/**
 * One line for the driver to print: which LLM the workers will use. `registered`: the URLs registered
 * on NATS now (what a `registered` run's workers open when they start serving it).
 */
export function describeLlmSelection(selection: LlmSelection, registered?: readonly string[]): string {
  const model = "defaultModel" in selection && selection.defaultModel ? `, model ${selection.defaultModel}` : "";
  switch (selection.kind) {
    case "endpoints": {
      const keys = [...new Set(selection.endpoints.map((e) => e.apiKeyEnv ?? "OPENAI_API_KEY"))].join(", ");
      const urls = selection.endpoints.map((e) => e.baseUrl).join(", ");
      return `${urls}${model || ", model: the first the server lists"} (keys from each worker's ${keys})`;
    }
    case "simulator": {
      const config = resolveSimulatorConfig(selection.settings);
      const model = selection.defaultModel ?? config.modelName;
      return `the built-in simulator, one in each worker (profile ${config.profile}, speed ${config.speed}, model ${model})`;
    }
    case "registered": {
      const now =
        registered === undefined
          ? ""
          : registered.length === 0
            ? ": none is registered now (workers wait for one)"
            : `: ${registered.join(", ")}`;
      return `the endpoints registered on NATS (matrix endpoint register)${now}${model} (keys from each worker's OPENAI_API_KEY)`;
    }
    case "workers":
      return `each worker's own LLM (its --llm, else OPENAI_BASE_URL, else registered endpoints, else its simulator)${model}`;
    case "driver":
      return "a client object in the driver: only the driver's local agents serve chat roles";
  }
}

/** What to open for a selection: an LLM option for `resolveLlm` (with keys from `env`), or why not. */
export interface SelectedLlmOption {
  option: LlmOption;
  model?: string;
  simulator?: Record<string, unknown>;
  /** Key variables named by the run but unset here (part of the message when the endpoint refuses). */
  missingKeys: string[];
}

export function llmOptionFor(
  selection: Exclude<LlmSelection, { kind: "driver" | "workers" | "registered" }>,
  env: NodeJS.ProcessEnv = process.env,
): SelectedLlmOption {
  if (selection.kind === "simulator")
    return { option: "simulator", model: selection.defaultModel, simulator: selection.settings, missingKeys: [] };
  const missingKeys: string[] = [];
  const endpoints = selection.endpoints.map(({ apiKeyEnv, ...endpoint }) => {
    const apiKey = (apiKeyEnv ? env[apiKeyEnv] : undefined) ?? env.OPENAI_API_KEY;
    if (apiKeyEnv && env[apiKeyEnv] === undefined) missingKeys.push(apiKeyEnv);
    return { ...endpoint, ...(apiKey ? { apiKey } : {}) };
  });
  return {
    option: {
      endpoints,
      ...(selection.retry ? { retry: selection.retry as LlmPoolOptions["retry"] } : {}),
      ...(selection.health ? { health: selection.health as LlmPoolOptions["health"] } : {}),
      ...(selection.sticky !== undefined ? { sticky: selection.sticky } : {}),
    },
    model: selection.defaultModel,
    missingKeys,
  };
}

/** Pool options over the endpoints registered on NATS (key: OPENAI_API_KEY), and their model. */
export function registeredLlmOption(
  endpoints: ReadonlyArray<{ url: string; model?: string }>,
  model: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): { option: LlmPoolOptions; model?: string } {
  const apiKey = env.OPENAI_API_KEY;
  return {
    option: {
      endpoints: endpoints.map((e) => ({
        baseUrl: e.url,
        ...(apiKey ? { apiKey } : {}),
        ...(e.model ? { models: [e.model] } : {}),
      })),
    },
    model: model ?? endpoints.find((e) => e.model)?.model,
  };
}
