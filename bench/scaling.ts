/**
 * Benchmark: scaling out. Generated tokens/s of the coral recipe against the number of simulator
 * endpoints (1, 2, 4; local bus, concurrency growing with them) and against the number of NATS worker
 * processes (1, 2, 4; each worker serving a fixed concurrency, against four endpoints), with the
 * efficiency against linear (tokens/s at k / (k x tokens/s at 1)). Prints figures; asserts nothing.
 *
 * Where you are: `bench/`. `measureScaling` is exported for the suite (bench/suite.ts). On a 2-core
 * machine every simulator, worker and the driver share the same two cores: efficiency falls where the
 * CPU, not the simulated GPUs, runs out.
 * Run: npx tsx bench/scaling.ts [--seconds 15]
 */
import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { createNatsBus } from "../sdk/bus/nats/index.js";
import { recipe } from "../sdk/index.js";
import type { LlmPoolOptions } from "../sdk/llm/llm-pool-options.js";
import { startSimulatorProcess } from "./llm-cpu.js";
import { startServer } from "./nats-measures.js";

export interface ScalingPoint {
  /** Simulator endpoints, or NATS worker processes. */
  count: number;
  tokensPerSecond: number;
  /** tokensPerSecond / (count x tokensPerSecond at 1). */
  efficiency: number;
}

export interface ScalingResult {
  endpoints: ScalingPoint[];
  natsWorkers: ScalingPoint[];
  /** Capacity of one simulator endpoint (generated tokens/s). */
  endpointCapacity: number;
  /** Tasks in flight per endpoint (local) and per role per worker (NATS). */
  concurrencyPerUnit: number;
}

export interface ScalingOptions {
  /** Conversations per measurement, per unit (endpoint or worker). @default 120 */
  rowsPerUnit?: number;
  counts?: readonly number[];
}

const SIMULATOR_ARGS = [
  "--speed",
  "1",
  "--max-num-seqs",
  "32",
  "--output-tokens-median",
  "120",
  "--output-tokens-sigma",
  "1",
];
const PER_UNIT = 32;
const home = fileURLToPath(new URL("..", import.meta.url));
const coral = () => recipe("coral", { home, maxTurns: 4 })!;

function points(rates: Array<{ count: number; tokensPerSecond: number }>): ScalingPoint[] {
  const one = rates.find((rate) => rate.count === 1)?.tokensPerSecond ?? rates[0]!.tokensPerSecond;
  return rates.map((rate) => ({ ...rate, efficiency: rate.tokensPerSecond / (rate.count * one) }));
}

async function tokensPerSecond(run: { done(): Promise<{ tokens: { completion: number }; durationMs: number }> }) {
  const summary = await run.done();
  return summary.tokens.completion / (summary.durationMs / 1000);
}

function startWorkerProcess(url: string, id: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [
      fileURLToPath(new URL("../bin/matrix.js", import.meta.url)),
      ...["worker", "--nats", url, "--id", id, "--concurrency", String(PER_UNIT)],
    ],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, MATRIX_LOG_LEVEL: "error" } },
  );
  return new Promise((resolve, reject) => {
    let log = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      log += chunk;
      if (log.includes(" ready (pid")) resolve(child);
    });
    child.once("exit", (code) => reject(new Error(`worker exited with ${code}: ${log.slice(-400)}`)));
  });
}

export async function measureScaling(options: ScalingOptions = {}): Promise<ScalingResult> {
  const counts = options.counts ?? [1, 2, 4];
  const rowsPerUnit = options.rowsPerUnit ?? 120;
  const most = Math.max(...counts);
  const simulators = await Promise.all(Array.from({ length: most }, () => startSimulatorProcess(SIMULATOR_ARGS)));
  try {
    const config = (await (await fetch(`${simulators[0]!.baseUrl.replace(/\/v1$/, "")}/sim/config`)).json()) as {
      capacityTokensPerSecond: number;
      modelName: string;
    };
    const llm = (count: number): LlmPoolOptions => ({
      endpoints: simulators.slice(0, count).map((s) => ({ baseUrl: s.baseUrl })),
      defaultModel: config.modelName,
    });
    // Warm-up: JIT, sockets, the recipe's modules.
    await coral()
      .run({ rows: 40, concurrency: PER_UNIT, maxInFlight: PER_UNIT, llm: llm(1) })
      .done();
    const endpointRates = [];
    for (const count of counts) {
      const rows = rowsPerUnit * count;
      const concurrency = PER_UNIT * count;
      const rate = await tokensPerSecond(
        coral().run({
          rows: Math.min(rows, 368),
          trials: Math.ceil(rows / 368),
          concurrency,
          maxInFlight: concurrency,
          llm: llm(count),
        }),
      );
      endpointRates.push({ count, tokensPerSecond: rate });
    }
    const nats = await startServer();
    const natsRates = [];
    try {
      for (const count of counts) {
        const workers = await Promise.all(
          Array.from({ length: count }, (_, i) => startWorkerProcess(nats.url, `scale-${count}-${i}`)),
        );
        const bus = await createNatsBus({ servers: [nats.url] });
        try {
          const rows = rowsPerUnit * count;
          const rate = await tokensPerSecond(
            coral().run({
              rows: Math.min(rows, 368),
              trials: Math.ceil(rows / 368),
              maxInFlight: PER_UNIT * count,
              bus,
              llm: llm(most),
            }),
          );
          natsRates.push({ count, tokensPerSecond: rate });
        } finally {
          await bus.close();
          for (const worker of workers) worker.kill("SIGTERM");
          await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once("exit", resolve))));
        }
      }
    } finally {
      await nats.stop();
    }
    return {
      endpoints: points(endpointRates),
      natsWorkers: points(natsRates),
      endpointCapacity: config.capacityTokensPerSecond,
      concurrencyPerUnit: PER_UNIT,
    };
  } finally {
    await Promise.all(simulators.map((simulator) => simulator.stop()));
  }
}

export function formatScaling(result: ScalingResult): string[] {
  const line = (label: string, point: ScalingPoint) =>
    `  ${label} ${point.count}: ${Math.round(point.tokensPerSecond).toLocaleString("en-US")} tok/s, efficiency ${(point.efficiency * 100).toFixed(0)}%`;
  return [
    `scaling (coral; one endpoint's capacity ${Math.round(result.endpointCapacity).toLocaleString("en-US")} tok/s, ${result.concurrencyPerUnit} in flight per unit):`,
    ...result.endpoints.map((point) => line("endpoints", point)),
    ...result.natsWorkers.map((point) => line("NATS workers", point)),
  ];
}

async function main(): Promise<void> {
  const cpu = cpus();
  process.stdout.write(
    `machine: ${cpu.length} x ${cpu[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}\n`,
  );
  for (const line of formatScaling(await measureScaling())) process.stdout.write(`${line}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
