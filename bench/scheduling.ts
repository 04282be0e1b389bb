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
  batchSize?: number;
  tasks: number;
  /** Generated (completion) tokens per second over the run. */
  tokensPerSecond: number;
  /** tokensPerSecond / the simulator's capacity (generated tokens/s with its batch full). */
  capacityFraction: number;
  rowsPerSecond: number;
  p50TaskSeconds: number;
  p99TaskSeconds: number;
  /** Mean generated tokens per LLM call (the same across modes when the workload is). */
  seconds: number;
}

export interface SchedulingOptions {
  workloads?: readonly Workload[];
  modes?: readonly SchedulingMode[];
  /** Simulator speed factor. @default 4 */
  speed?: number;
  /** Rows per workload run (trials multiply the dataset to reach it). */
  rows?: Partial<Record<Workload, number>>;
  /** Tasks in flight; default: the simulator's maxNumSeqs (a row-level run just fills its batch). */
  concurrency?: number;
  /** Rows per batch in `batch` mode. @default concurrency / 4 */
  batchSize?: number;
  onResult?: (result: SchedulingResult) => void;
}

const DEFAULT_ROWS: Record<Workload, number> = { "natural-reasoning": 1200, coral: 400, tau: 300 };

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
  capacity: number,
  rows: number,
  concurrency: number,
  batchSize: number,
): Promise<SchedulingResult> {
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
  const summary = await run.done();
  const seconds = summary.durationMs / 1000;
  const taskSeconds = run
    .results()
    .map((task) => ((task.timestamps.finished ?? task.timestamps.created) - task.timestamps.created) / 1000)
    .sort((a, b) => a - b);
  const tasks = summary.counts.done + summary.counts.failed + summary.counts.filtered;
  const tokensPerSecond = summary.tokens.completion / seconds;
  return {
    workload,
    mode,
    concurrency,
    ...(mode === "batch" ? { batchSize } : {}),
    tasks,
    tokensPerSecond,
    capacityFraction: tokensPerSecond / capacity,
    rowsPerSecond: tasks / seconds,
    p50TaskSeconds: quantile(taskSeconds, 0.5),
    p99TaskSeconds: quantile(taskSeconds, 0.99),
    seconds,
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
    const config = (await (await fetch(`${server.baseUrl.replace(/\/v1$/, "")}/sim/config`)).json()) as {
      capacityTokensPerSecond: number;
      modelName: string;
    };
    const concurrency = options.concurrency ?? BENCH_SIMULATOR.maxNumSeqs;
    const batchSize = options.batchSize ?? Math.max(1, Math.floor(concurrency / 4));
    const results: SchedulingResult[] = [];
    for (const workload of options.workloads ?? WORKLOADS) {
      const rows = options.rows?.[workload] ?? DEFAULT_ROWS[workload];
      // Warm-up at a tenth of the size: JIT, sockets, the recipe's modules.
      await runOnce(
        workload,
        "row",
        server.baseUrl,
        config.modelName,
        config.capacityTokensPerSecond,
        Math.ceil(rows / 10),
        concurrency,
        batchSize,
      );
      for (const mode of options.modes ?? (["row", "batch", "central"] as const)) {
        const result = await runOnce(
          workload,
          mode,
          server.baseUrl,
          config.modelName,
          config.capacityTokensPerSecond,
          rows,
          concurrency,
          batchSize,
        );
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
    ` (${(result.capacityFraction * 100).toFixed(1)}% of capacity)` +
    ` ${result.rowsPerSecond.toFixed(1)} rows/s` +
    ` p50 ${result.p50TaskSeconds.toFixed(2)} s p99 ${result.p99TaskSeconds.toFixed(2)} s` +
    ` (${result.tasks} tasks in ${result.seconds.toFixed(1)} s)`
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
    batchSize: value("batch-size") ? Number(value("batch-size")) : undefined,
    onResult: (result) => process.stdout.write(`${formatScheduling(result)}\n`),
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv.slice(2));
