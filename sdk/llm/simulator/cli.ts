/**
 * `matrix sim`: runs the simulator in the foreground until SIGINT/SIGTERM.
 *
 * Where you are: `llm/simulator/`. `runSimulatorCli(argv)` parses flags by hand for scripts and benchmarks
 * that start the simulator without the `matrix` command; `matrix sim` (sdk/cli/) declares the same flags
 * with commander from `SIMULATOR_NUMERIC_KNOBS` and `FAULT_KINDS` and calls `serveSimulator`. Flags are
 * the config knobs in kebab case (`--max-num-seqs 64`), faults as `--fault-rate-limit 0.1`; `--port`,
 * `--host`, `--profile`, `--model-name`, `--strict-model`.
 */
import { ConfigError } from "../../errors.js";
import {
  DEFAULT_PROFILE,
  NO_FAULTS,
  SIMULATOR_NUMERIC_KNOBS,
  SIMULATOR_PROFILES,
  type FaultRates,
} from "./profiles.js";
import { startSimulator, type SimulatorHandle, type StartSimulatorOptions } from "./server.js";

export interface SimulatorCliIo {
  /** Where the base URL line is written. @default process.stdout */
  stdout?: { write(text: string): unknown };
  /** Stops the server when aborted (tests); SIGINT and SIGTERM always do. */
  signal?: AbortSignal;
  /** Called once the server listens. */
  onReady?: (handle: SimulatorHandle) => void;
}

export const SIMULATOR_CLI_USAGE = `Usage: matrix sim [--port N] [--host H] [--profile NAME] [--speed X] [--seed N]
                  [--model-name NAME] [--strict-model] [--<knob> VALUE ...] [--fault-<kind> RATE ...]
Profiles: ${Object.keys(SIMULATOR_PROFILES).join(", ")} (default ${DEFAULT_PROFILE})
Knobs: step-base-ms, step-per-seq-ms, prefill-per-token-ms, max-num-seqs, kv-capacity-tokens,
       output-tokens-median, output-tokens-sigma, max-output-tokens, tool-call-rate, adopt-rate, yes-rate,
       retry-after-seconds
Faults: fault-rate-limit, fault-server-error, fault-hang, fault-malformed-json, fault-truncated-stream,
        fault-drop-connection`;

/** Turns `matrix sim` arguments into simulator options; throws `ConfigError` on an unknown or bad flag. */
export function parseSimulatorArgs(argv: readonly string[]): StartSimulatorOptions {
  const options: Record<string, unknown> = {};
  const faults: Partial<FaultRates> = {};
  const numeric = new Set<string>(["port", ...Object.keys(SIMULATOR_NUMERIC_KNOBS)]);
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (!arg.startsWith("--")) throw new ConfigError(arg, `unexpected argument\n${SIMULATOR_CLI_USAGE}`);
    const [flag, inline] = arg.slice(2).split("=", 2) as [string, string | undefined];
    const key = flag.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
    if (key === "strictModel") {
      options.strictModel = inline === undefined ? true : inline !== "false";
      continue;
    }
    const value = inline ?? argv[++index];
    if (value === undefined) throw new ConfigError(flag, "needs a value");
    if (key === "profile" || key === "host" || key === "modelName") {
      options[key] = value;
    } else if (numeric.has(key)) {
      options[key] = toNumber(flag, value);
    } else if (key.startsWith("fault")) {
      const faultKey = key[5]!.toLowerCase() + key.slice(6);
      if (!(faultKey in NO_FAULTS)) throw new ConfigError(flag, `unknown fault\n${SIMULATOR_CLI_USAGE}`);
      faults[faultKey as keyof FaultRates] = toNumber(flag, value);
    } else {
      throw new ConfigError(flag, `unknown option\n${SIMULATOR_CLI_USAGE}`);
    }
  }
  return { ...options, faults } as StartSimulatorOptions;
}

/**
 * Starts the simulator, writes its base URL (one line) to stdout when it listens, and resolves when it
 * has stopped after SIGINT/SIGTERM (or `io.signal`).
 */
export async function runSimulatorCli(argv: readonly string[], io: SimulatorCliIo = {}): Promise<void> {
  await serveSimulator(parseSimulatorArgs(argv), io);
}

/** `runSimulatorCli` for options already parsed (the `matrix sim` command parses its flags itself). */
export async function serveSimulator(options: StartSimulatorOptions, io: SimulatorCliIo = {}): Promise<void> {
  const handle = await startSimulator(options);
  (io.stdout ?? process.stdout).write(`${handle.baseUrl}\n`);
  io.onReady?.(handle);
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      io.signal?.removeEventListener("abort", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
    if (io.signal?.aborted) stop();
    else io.signal?.addEventListener("abort", stop);
  });
  await handle.close();
}

function toNumber(flag: string, value: string): number {
  const number = Number(value);
  if (value.trim() === "" || !Number.isFinite(number)) throw new ConfigError(flag, `expected a number, got '${value}'`);
  return number;
}
