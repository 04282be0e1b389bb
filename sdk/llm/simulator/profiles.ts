/**
 * The simulator's configuration: every knob of the latency model and of the replies, and the named
 * hardware profiles that preset them.
 *
 * Where you are: `llm/simulator/`, the built-in OpenAI-compatible server. This file is plain data and
 * arithmetic (no I/O). Add a profile by adding an entry to `SIMULATOR_PROFILES`; add a knob by adding a
 * field to `SimulatorConfig`, its default to `DEFAULT_SIMULATOR_CONFIG`, and documenting it in
 * docs/simulator.md.
 */
import { ConfigError } from "../../errors.js";

/** Probabilities (0..1) that a request is answered with a fault instead of a reply. */
export interface FaultRates {
  /** 429 with a `retry-after` header. @default 0 */
  rateLimit: number;
  /** 500 with an OpenAI-style error body. @default 0 */
  serverError: number;
  /** Never answers: the request stays open until the client aborts or the server closes. @default 0 */
  hang: number;
  /** Structured-output replies (json_schema, json_object, tool arguments) carry broken JSON. @default 0 */
  malformedJson: number;
  /** The reply stops half-way and the connection is cut, without `[DONE]`. @default 0 */
  truncatedStream: number;
  /** The socket is destroyed before any byte of the response. @default 0 */
  dropConnection: number;
}

export interface SimulatorConfig {
  /** The profile this configuration started from. @default "llama-3.1-8b-h100" */
  profile: string;
  /** Model name listed by `/v1/models` and echoed in replies. @default the profile's model */
  modelName: string;
  /** When true, a request naming another model gets a 404 `model_not_found`. @default false */
  strictModel: boolean;
  /** Time factor: 100 runs the model 100x faster than real time. @default 1 */
  speed: number;
  /** Seed mixed into every reply's hash (same seed + same request = same reply). @default 0 */
  seed: number;
  /** Fixed cost of one scheduler step (one decode iteration of the whole batch), in ms. */
  stepBaseMs: number;
  /** Added to a step per running sequence, in ms (memory-bandwidth and attention cost of the batch). */
  stepPerSeqMs: number;
  /** Added to the step that admits a sequence, per prompt token, in ms (prefill). */
  prefillPerTokenMs: number;
  /** Most sequences decoding at once (vLLM `max_num_seqs`). */
  maxNumSeqs: number;
  /** KV-cache capacity in tokens: prompt + output of all running sequences must fit. */
  kvCapacityTokens: number;
  /** Median of the lognormal output length, in tokens. */
  outputTokensMedian: number;
  /** Sigma of the lognormal output length (0 = always the median). */
  outputTokensSigma: number;
  /** Hard cap on a sampled output length, before `max_tokens`. */
  maxOutputTokens: number;
  /** When tools are offered with `tool_choice: "auto"`, the probability of answering with a tool call. @default 0.5 */
  toolCallRate: number;
  /** Factor on `toolCallRate` per tool round already in a row: after k rounds, a call has probability rate × this^k. @default 0.6 */
  toolFollowUpRate: number;
  /** When the system prompt names stop tokens (`###STOP###`), a plain reply ends with one with probability this × (its replies so far + 1). @default 0.15 */
  stopTokenRate: number;
  /** For lettered-option questions, the probability of adopting the answer stated earlier in the chat. @default 0.6 */
  adoptRate: number;
  /** Probability of "Yes" to a yes/no question. @default 0.5 */
  yesRate: number;
  /** Seconds sent in `retry-after` with an injected 429. @default 1 */
  retryAfterSeconds: number;
  faults: FaultRates;
}

/** The options `startSimulator` takes: any knob, plus a profile to start from. */
export type SimulatorOptions = Partial<Omit<SimulatorConfig, "faults">> & { faults?: Partial<FaultRates> };

/**
 * What a numeric knob accepts. `checkConfig` enforces it, and `matrix sim` parses the knob's flag by it,
 * so a bad flag value is refused as a usage error before the simulator is built.
 */
export type KnobRange = "positive" | "positive-integer" | "non-negative" | "probability" | "any";

/**
 * The numeric knobs, each with one line of help and its range: `matrix sim` takes them as kebab-case flags
 * (`--max-num-seqs 64`), generated from this table so the flags cannot drift from the configuration.
 */
export const SIMULATOR_NUMERIC_KNOBS = {
  speed: { help: "time factor: 100 runs the model 100x faster than real time", range: "positive" },
  seed: { help: "seed mixed into every reply's hash", range: "any" },
  stepBaseMs: { help: "fixed cost of one scheduler step, ms", range: "non-negative" },
  stepPerSeqMs: { help: "added to a step per running sequence, ms", range: "non-negative" },
  prefillPerTokenMs: { help: "added to the admitting step per prompt token, ms", range: "non-negative" },
  maxNumSeqs: { help: "most sequences decoding at once (vLLM max_num_seqs)", range: "positive-integer" },
  kvCapacityTokens: { help: "KV-cache capacity in tokens", range: "positive" },
  outputTokensMedian: { help: "median output length, tokens", range: "positive" },
  outputTokensSigma: { help: "sigma of the lognormal output length", range: "non-negative" },
  maxOutputTokens: { help: "hard cap on a sampled output length", range: "positive" },
  toolCallRate: { help: "probability of a tool call when tools are offered (auto)", range: "probability" },
  toolFollowUpRate: {
    help: "factor on the tool-call probability per tool round already in a row",
    range: "probability",
  },
  stopTokenRate: {
    help: "growth per reply of the probability of ending with a stop token the system prompt names",
    range: "probability",
  },
  adoptRate: { help: "probability of adopting an answer stated earlier in the chat", range: "probability" },
  yesRate: { help: 'probability of "Yes" to a yes/no question', range: "probability" },
  retryAfterSeconds: { help: "seconds sent in retry-after with an injected 429", range: "non-negative" },
} as const satisfies Partial<Record<keyof SimulatorConfig, { help: string; range: KnobRange }>>;

export const NO_FAULTS: FaultRates = {
  rateLimit: 0,
  serverError: 0,
  hang: 0,
  malformedJson: 0,
  truncatedStream: 0,
  dropConnection: 0,
};

/**
 * Presets. The step costs are rough public figures for vLLM decode at bf16 (an 8B model on one H100
 * decodes ~10k tokens/s at batch 256; a 70B model on 4xH100 ~4-5k tokens/s); the KV sizes follow
 * from the memory left after the weights (8B: 128 KiB/token; 70B: 320 KiB/token).
 */
export const SIMULATOR_PROFILES: Record<
  string,
  Omit<
    SimulatorConfig,
    | "profile"
    | "strictModel"
    | "speed"
    | "seed"
    | "faults"
    | "toolCallRate"
    | "toolFollowUpRate"
    | "stopTokenRate"
    | "adoptRate"
    | "yesRate"
    | "retryAfterSeconds"
  >
> = {
  "llama-3.1-8b-h100": {
    modelName: "meta-llama/Llama-3.1-8B-Instruct",
    stepBaseMs: 8,
    stepPerSeqMs: 0.06,
    prefillPerTokenMs: 0.025,
    maxNumSeqs: 256,
    kvCapacityTokens: 400_000,
    outputTokensMedian: 180,
    outputTokensSigma: 0.8,
    maxOutputTokens: 4096,
  },
  "llama-3.1-70b-4xh100": {
    modelName: "meta-llama/Llama-3.1-70B-Instruct",
    stepBaseMs: 25,
    stepPerSeqMs: 0.12,
    prefillPerTokenMs: 0.08,
    maxNumSeqs: 256,
    kvCapacityTokens: 550_000,
    outputTokensMedian: 220,
    outputTokensSigma: 0.8,
    maxOutputTokens: 4096,
  },
  /** Small and quick, for unit tests: 4 slots, short replies. */
  "tiny-test": {
    modelName: "sim-tiny",
    stepBaseMs: 10,
    stepPerSeqMs: 2,
    prefillPerTokenMs: 0.01,
    maxNumSeqs: 4,
    kvCapacityTokens: 8192,
    outputTokensMedian: 24,
    outputTokensSigma: 0.5,
    maxOutputTokens: 256,
  },
};

export const DEFAULT_PROFILE = "llama-3.1-8b-h100";

/** Merges a profile and overrides into a full, checked configuration. */
export function resolveSimulatorConfig(options: SimulatorOptions = {}): SimulatorConfig {
  const profile = options.profile ?? DEFAULT_PROFILE;
  const preset = SIMULATOR_PROFILES[profile];
  if (!preset) {
    throw new ConfigError(
      "profile",
      `unknown simulator profile '${profile}' (known: ${Object.keys(SIMULATOR_PROFILES).join(", ")})`,
    );
  }
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const config: SimulatorConfig = {
    strictModel: false,
    speed: 1,
    seed: 0,
    toolCallRate: 0.5,
    toolFollowUpRate: 0.6,
    stopTokenRate: 0.15,
    adoptRate: 0.6,
    yesRate: 0.5,
    retryAfterSeconds: 1,
    ...preset,
    ...defined,
    profile,
    faults: { ...NO_FAULTS, ...options.faults },
  };
  checkConfig(config);
  return config;
}

function checkConfig(config: SimulatorConfig): void {
  const knobs = Object.entries(SIMULATOR_NUMERIC_KNOBS).map(([key, { range }]): [string, unknown, KnobRange] => [
    key,
    config[key as keyof typeof SIMULATOR_NUMERIC_KNOBS],
    range,
  ]);
  const faults = Object.entries(config.faults).map(([key, value]): [string, unknown, KnobRange] => [
    `faults.${key}`,
    value,
    "probability",
  ]);
  for (const [key, value, range] of [...knobs, ...faults]) {
    const finite = typeof value === "number" && Number.isFinite(value);
    if ((range === "positive" || range === "positive-integer") && !(finite && value > 0))
      throw new ConfigError(key, `must be a positive finite number, got ${String(value)}`);
    if (range === "positive-integer" && !Number.isInteger(value)) throw new ConfigError(key, "must be an integer");
    if (range === "non-negative" && !(finite && value >= 0))
      throw new ConfigError(key, `must be a non-negative finite number, got ${String(value)}`);
    if (range === "probability" && !(typeof value === "number" && value >= 0 && value <= 1))
      throw new ConfigError(key, `must be a probability between 0 and 1, got ${String(value)}`);
  }
  if (config.stepBaseMs + config.stepPerSeqMs <= 0) {
    throw new ConfigError("stepBaseMs", "stepBaseMs + stepPerSeqMs must be positive (a step cannot take no time)");
  }
}

/**
 * Generated tokens per real-time second at saturation: `maxNumSeqs` sequences each emit one token per
 * step of `stepBaseMs + stepPerSeqMs * maxNumSeqs`, scaled by `speed`. Prefill is left out (decode-
 * dominated workloads); `predictThroughput` includes it for a given workload.
 */
export function capacityTokensPerSecond(config: SimulatorConfig): number {
  const stepMs = config.stepBaseMs + config.stepPerSeqMs * config.maxNumSeqs;
  return (config.maxNumSeqs / stepMs) * 1000 * config.speed;
}

/**
 * Expected saturated throughput (real-time tokens/s) for requests of a given mean prompt and output
 * length: the batch is limited by `maxNumSeqs` and by the KV cache, and each step also pays the
 * prefill of the sequences admitted in it (on average batch / meanOutputTokens of them).
 */
export function predictThroughput(
  config: SimulatorConfig,
  workload: { promptTokens: number; outputTokens: number },
): { batch: number; stepMs: number; tokensPerSecond: number } {
  const perSequenceKv = workload.promptTokens + workload.outputTokens;
  const batch = Math.max(1, Math.min(config.maxNumSeqs, Math.floor(config.kvCapacityTokens / perSequenceKv)));
  const admittedPerStep = batch / Math.max(1, workload.outputTokens);
  const stepMs =
    config.stepBaseMs +
    config.stepPerSeqMs * batch +
    config.prefillPerTokenMs * workload.promptTokens * admittedPerStep;
  return { batch, stepMs, tokensPerSecond: (batch / stepMs) * 1000 * config.speed };
}
