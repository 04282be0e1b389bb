/**
 * Benchmark: the paper's scheduling claim inside the runtime. The same recipe runs under `row` (peer to
 * peer), `batch` (Ray Data-style barriers) and `central` (one controller) at equal task concurrency,
 * against one simulator in a child process whose batch (`maxNumSeqs`) a row-level run just fills, with
 * heavy-tailed reply lengths. Prints figures; asserts nothing.
 *
 * Where you are: `bench/`. `measureScheduling` is exported for the suite (bench/suite.ts); the CLI runs
 * one workload: `npx tsx bench/scheduling.ts [--workload coral] [--seconds 20]`.
 */
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { recipe } from "../sdk/index.js";
import { predictThroughput, type SimulatorConfig } from "../sdk/llm/simulator/index.js";
import type { SchedulingMode } from "../sdk/schema/scheduling-mode.js";
import { startSimulatorProcess } from "./llm-cpu.js";

export const WORKLOADS = ["natural-reasoning", "coral", "tau"] as const;
export type Workload = (typeof WORKLOADS)[number];

/** The simulator every scheduling run uses: an 8B-on-H100 latency model, a batch of 64, heavy tails. */
export const BENCH_SIMULATOR = {
  profile: "llama-3.1-8b-h100",
  maxNumSeqs: 64,
  outputTokensMedian: 120,
  outputTokensSigma: 1.1,
  maxOutputTokens: 2048,
} as const;

export interface SchedulingResult {
  workload: Workload;
  mode: SchedulingMode;
  /** Tasks in flight (the run's maxInFlight and per-role concurrency). */
  concurrency: number;
  /** Rows per batch under `batch` scheduling; null under row and central (kept so every row has the same columns). */
  batchSize: number | null;
  tasks: number;
  /** Generated (completion) tokens per second over the steady window (see steadySeconds). */
  tokensPerSecond: number;
  /**
   * tokensPerSecond / the simulator's capacity for this workload: generated tokens/s with its batch full
   * of requests of the workload's mean prompt and reply length (prefill and KV cache included;
   * `predictThroughput`), measured from the row-level run's calls.
   */
  capacityFraction: number;
  /** The capacity used above, tokens/s. */
  capacityTokensPerSecond: number;
  rowsPerSecond: number;
  p50TaskSeconds: number;
  p99TaskSeconds: number;
  /** LLM calls made, and their mean prompt and reply lengths. */
  calls: number;
  meanPromptTokens: number;
  meanCompletionTokens: number;
  /**
   * tokens/s and rows/s are measured over the steady window (from `concurrency` tasks in flight to the
   * last row fed) when it lasts at least 2 s and 30% of the run; 0 here means the whole run was used.
   */
  steadySeconds: number;
  runSeconds: number;
}

export interface SchedulingOptions {
  workloads?: readonly Workload[];
  modes?: readonly SchedulingMode[];
  /** Simulator speed factor. @default 4 */
  speed?: number;
  /** Rows per workload run (trials multiply the dataset to reach it). */
  rows?: Partial<Record<Workload, number>>;
  /** Tasks in flight; default: the simulator's maxNumSeqs times the workload's factor (a row-level run just fills its batch). */
  concurrency?: number;
  /**
   * Rows per batch in `batch` mode; several sizes give one batch run each (the first is the one ratios
   * use). @default [concurrency / 2]: two batches per role in flight, one running while the other
   * waits for its stragglers, as Ray Data overlaps batches on an actor.
   */
  batchSizes?: readonly number[];
  onResult?: (result: SchedulingResult) => void;
}

const DEFAULT_ROWS: Record<Workload, number> = { "natural-reasoning": 1200, coral: 400, tau: 300 };

/**
 * Tasks in flight: the simulator's batch (maxNumSeqs), the concurrency at which a row-level run just
 * saturates it (measured: coral at 64 in flight kept 96% of the workload's capacity in the steady window,
 * and more in flight only queues at the server, where every mode looks saturated).
 */
const DEFAULT_CONCURRENCY = BENCH_SIMULATOR.maxNumSeqs;

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

function workloadPipeline(workload: Workload) {
  const options = workload === "tau" ? { domain: "retail", maxSteps: 30 } : workload === "coral" ? { maxTurns: 6 } : {};
  const p = recipe(workload, { home: fileURLToPath(new URL("..", import.meta.url)), ...options });
  if (!p) throw new Error(`no recipe ${workload}`);
  return p;
}

async function runOnce(
  workload: Workload,
  mode: SchedulingMode,
  baseUrl: string,
  model: string,
  rows: number,
  concurrency: number,
  batchSize: number,
): Promise<Omit<SchedulingResult, "capacityFraction" | "capacityTokensPerSecond">> {
  const p = workloadPipeline(workload);
  const datasetRows = workload === "natural-reasoning" ? 296 : workload === "coral" ? 368 : 114;
  const trials = Math.max(1, Math.ceil(rows / datasetRows));
  const run = p.run({
    rows: Math.min(rows, datasetRows),
    trials,
    scheduling: mode,
    batchSize,
    concurrency,
    maxInFlight: concurrency,
    llm: { endpoints: [{ baseUrl, apiKey: "sim" }], defaultModel: model },
  });
  // Generated tokens by the time their hop ended, to measure the steady part of the run.
  const hops: Array<{ time: number; tokens: number }> = [];
  run.subscribe((event) => {
    if (event.type === "hop-end" && event.completionTokens)
      hops.push({ time: event.time, tokens: event.completionTokens });
  });
  const summary = await run.done();
  const results = run.results();
  // The steady window: from the moment `concurrency` tasks were in flight to the moment the last row was
  // fed. Before it the pipeline fills; after it the run drains with fewer and fewer tasks, a tail a
  // dataset-sized run does not have.
  const created = results.map((task) => task.timestamps.created).sort((a, b) => a - b);
  const from = created[Math.min(created.length - 1, concurrency - 1)]!;
  const to = created[created.length - 1]!;
  const steady = to - from >= Math.max(2000, summary.durationMs * 0.3);
  const seconds = steady ? (to - from) / 1000 : summary.durationMs / 1000;
  const inWindow = (time: number | undefined) => !steady || (time !== undefined && time >= from && time <= to);
  const windowTokens = hops.filter((hop) => inWindow(hop.time)).reduce((sum, hop) => sum + hop.tokens, 0);
  const windowTasks = results.filter((task) => inWindow(task.timestamps.finished)).length;
  const taskSeconds = results
    .map((task) => ((task.timestamps.finished ?? task.timestamps.created) - task.timestamps.created) / 1000)
    .sort((a, b) => a - b);
  const calls = results.reduce(
    (sum, task) => sum + Object.values(task.usage).reduce((n, usage) => n + usage.calls, 0),
    0,
  );
  const tasks = summary.counts.done + summary.counts.failed + summary.counts.filtered;
  return {
    workload,
    mode,
    concurrency,
    batchSize: mode === "batch" ? batchSize : null,
    tasks,
    tokensPerSecond: windowTokens / seconds,
    rowsPerSecond: windowTasks / seconds,
    steadySeconds: steady ? seconds : 0,
    runSeconds: summary.durationMs / 1000,
    p50TaskSeconds: quantile(taskSeconds, 0.5),
    p99TaskSeconds: quantile(taskSeconds, 0.99),
    calls,
    meanPromptTokens: summary.tokens.prompt / Math.max(1, calls),
    meanCompletionTokens: summary.tokens.completion / Math.max(1, calls),
  };
}

/** Runs every workload under every mode; one simulator for all, so capacity is the same. */
export async function measureScheduling(options: SchedulingOptions = {}): Promise<SchedulingResult[]> {
  const speed = options.speed ?? 4;
  const args = Object.entries({ ...BENCH_SIMULATOR, speed }).flatMap(([key, value]) => [
    `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
    String(value),
  ]);
  const server = await startSimulatorProcess(args);
  try {
    const config = (await (await fetch(`${server.baseUrl.replace(/\/v1$/, "")}/sim/config`)).json()) as SimulatorConfig;
    const results: SchedulingResult[] = [];
    for (const workload of options.workloads ?? WORKLOADS) {
      const rows = options.rows?.[workload] ?? DEFAULT_ROWS[workload];
      const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
      const batchSizes = options.batchSizes ?? [Math.max(1, Math.floor(concurrency / 2))];
      const once = (mode: SchedulingMode, size: number, batchSize: number) =>
        runOnce(workload, mode, server.baseUrl, config.modelName, size, concurrency, batchSize);
      await once("row", Math.ceil(rows / 10), 1); // warm-up: JIT, sockets, the recipe's modules
      let capacity: number | undefined;
      const modes = options.modes ?? (["row", "batch", "central"] as const);
      const runs: Array<[SchedulingMode, number]> = modes.flatMap((mode): Array<[SchedulingMode, number]> =>
        mode === "batch" ? batchSizes.map((size): [SchedulingMode, number] => [mode, size]) : [[mode, 1]],
      );
      for (const [mode, batchSize] of runs) {
        const measured = await once(mode, rows, batchSize);
        // The workload's own capacity, from the first mode's request mix (the same recipe and seeds).
        capacity ??= predictThroughput(config, {
          promptTokens: measured.meanPromptTokens,
          outputTokens: measured.meanCompletionTokens,
        }).tokensPerSecond;
        const result = {
          ...measured,
          capacityFraction: measured.tokensPerSecond / capacity,
          capacityTokensPerSecond: capacity,
        };
        results.push(result);
        options.onResult?.(result);
      }
    }
    return results;
  } finally {
    await server.stop();
  }
}

export function formatScheduling(result: SchedulingResult): string {
  return (
    `${result.workload.padEnd(17)} ${result.mode.padEnd(7)} c=${result.concurrency}` +
    `${result.batchSize ? ` b=${result.batchSize}` : ""}`.padEnd(6) +
    ` ${Math.round(result.tokensPerSecond).toLocaleString("en-US").padStart(7)} tok/s` +
    ` (${(result.capacityFraction * 100).toFixed(1)}% of ${Math.round(result.capacityTokensPerSecond).toLocaleString("en-US")})` +
    ` ${result.rowsPerSecond.toFixed(1)} rows/s` +
    ` p50 ${result.p50TaskSeconds.toFixed(2)} s p99 ${result.p99TaskSeconds.toFixed(2)} s` +
    ` (${result.tasks} tasks in ${result.runSeconds.toFixed(1)} s, steady ${result.steadySeconds.toFixed(1)} s)`
  );
}

async function main(argv: string[]): Promise<void> {
  const value = (name: string) => {
    const index = argv.indexOf(`--${name}`);
    return index >= 0 ? argv[index + 1] : undefined;
  };
  const workload = value("workload") as Workload | undefined;
  const rows = value("rows");
  const cpu = cpus();
  process.stdout.write(
    `machine: ${cpu.length} x ${cpu[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}\n`,
  );
  await measureScheduling({
    workloads: workload ? [workload] : undefined,
    rows: workload && rows ? { [workload]: Number(rows) } : undefined,
    speed: value("speed") ? Number(value("speed")) : undefined,
    concurrency: value("concurrency") ? Number(value("concurrency")) : undefined,
    batchSizes: value("batch-size") ? value("batch-size")!.split(",").map(Number) : undefined,
    onResult: (result) => process.stdout.write(`${formatScheduling(result)}\n`),
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv.slice(2));
