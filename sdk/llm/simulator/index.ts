/**
 * The built-in OpenAI-compatible inference simulator: the public surface of `llm/simulator/`.
 *
 * Where you are: the folder's entry point; sdk/index.ts and sdk/cli/ import from here only, except that the
 * CLI's command tree (sdk/cli/program.ts) reads the plain-data profiles.ts and faults.ts directly, so
 * `matrix --help` does not load the server. The model and its formulas are described in
 * docs/simulator.md; each concept lives in its own file next to this one.
 */
export { startSimulator, type SimulatorHandle, type SimulatorStats, type StartSimulatorOptions } from "./server.js";
export {
  runSimulatorCli,
  serveSimulator,
  parseSimulatorArgs,
  SIMULATOR_CLI_USAGE,
  type SimulatorCliIo,
} from "./cli.js";
export {
  capacityTokensPerSecond,
  predictThroughput,
  resolveSimulatorConfig,
  DEFAULT_PROFILE,
  SIMULATOR_NUMERIC_KNOBS,
  SIMULATOR_PROFILES,
  type FaultRates,
  type SimulatorConfig,
  type SimulatorOptions,
} from "./profiles.js";
export { sampleJsonSchema } from "./json-schema-sample.js";
export { FAULT_KINDS, type FaultKind } from "./faults.js";
