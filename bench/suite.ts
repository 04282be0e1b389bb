/**
 * The benchmark suite: `npm run bench` (`-- --quick` for a shorter pass; `-- --only concurrency,cpu` to
 * re-measure some sections and keep the others of the last summary). Runs every measurement in one
 * process tree on this machine, prints a table, and writes `out/bench/summary.json` (the benchmarks
 * notebook and the README table are made from it: `npx tsx bench/readme-table.ts`). Absolute figures
 * depend on the machine; the ratios measured in one run are the claim.
 *
 * Where you are: `bench/`. Each measurement lives in its own file with its own CLI (scheduling.ts,
 * local-bus.ts, nats-measures.ts, concurrency.ts, llm-cpu.ts, scaling.ts); this file only sizes them,
 * runs them in turn and writes what they found. Add a figure by adding a field to `BenchSummary`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, loadavg, totalmem } from "node:os";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_OFFLOAD_THRESHOLD } from "../sdk/bus/nats/index.js";
import { formatConcurrency, measureConcurrency, type ConcurrencyResult } from "./concurrency.js";
import { formatLlmCpu, measureLlmCpu } from "./llm-cpu.js";
import { hopsPerSecond } from "./local-bus.js";
import {
  bytesPerHop,
  formatHops,
  formatRound,
  hopRate,
  hotPath,
  rawRate,
  startServer,
  type HopCpu,
  type HotPathRound,
} from "./nats-measures.js";
import { formatScaling, measureScaling, type ScalingResult } from "./scaling.js";
import { formatScheduling, measureScheduling, type SchedulingResult } from "./scheduling.js";

export interface BenchSummary {
  quick: boolean;
  /** When each section was measured (`--only` re-measures some and keeps the others). */
  measuredAt: Record<string, string>;
  startedAt: string;
  durationSeconds: number;
  machine: { cores: number; cpu: string; memoryGiB: number; node: string; loadAverageAtStart: number };
  scheduling: SchedulingResult[];
  /** tokens/s of row over batch, and row over central, per workload. */
  schedulingRatios: Array<{ workload: string; rowOverBatch: number; rowOverCentral: number }>;
  localHopsPerSecond: number;
  /** No-op hops through the driver, one worker process and nats-server: the round with the median ratio to raw. */
  natsHopsPerSecond: number;
  /** Raw JetStream publish + consume + ack through the bus's own publisher (the ceiling a hop is compared to). */
  natsRawRate: number;
  /** The same through the client's `js.publish`, one request per message. */
  natsRawRateClient: number;
  /** Where a NATS hop's CPU goes: microseconds per hop in nats-server, the worker processes together, the driver. */
  natsCpuMicrosPerHop: HopCpu;
  /** The raw rate's CPU per message, server and client together (comparable with the sum of the above). */
  natsRawCpuMicrosPerMessage: number;
  /** Every round of raw then hops (the figures above are the median one); absent in older summaries. */
  natsRounds?: HotPathRound[];
  /** The same hops through two worker processes, for comparison (on two cores they compete with the server). */
  natsTwoWorkers?: { hopsPerSecond: number; cpuMicrosPerHop: HopCpu; steady?: boolean };
  offload: {
    turnChars: number;
    threshold: number;
    bytesPerHopWith: number;
    bytesPerHopWithout: number;
    hopsPerSecondWith: number;
    hopsPerSecondWithout: number;
  };
  concurrency: ConcurrencyResult;
  /** `bareYieldingClient`: the bare loop that yields between calls (bench/llm-cpu.ts); absent in older summaries. */
  cpuMsPerLlmCall: { matrix: number; bareClient: number; bareYieldingClient?: number };
  scaling: ScalingResult;
}

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const say = (line: string) => process.stdout.write(`${line}\n`);

type Sections = {
  scheduling: Pick<BenchSummary, "scheduling" | "schedulingRatios">;
  local: Pick<BenchSummary, "localHopsPerSecond">;
  nats: Pick<
    BenchSummary,
    | "natsHopsPerSecond"
    | "natsRawRate"
    | "natsRawRateClient"
    | "natsCpuMicrosPerHop"
    | "natsRawCpuMicrosPerMessage"
    | "natsRounds"
    | "natsTwoWorkers"
    | "offload"
  >;
  concurrency: Pick<BenchSummary, "concurrency">;
  cpu: Pick<BenchSummary, "cpuMsPerLlmCall">;
  scaling: Pick<BenchSummary, "scaling">;
};
const SECTIONS = ["scheduling", "local", "nats", "concurrency", "cpu", "scaling"] as const;

/** Each section measures one thing and returns its part of the summary. */
function sections(quick: boolean): { [K in keyof Sections]: () => Promise<Sections[K]> } {
  return {
    async scheduling() {
      say("\n# scheduling: the same recipes under row / batch / central at equal task concurrency");
      const scheduling = await measureScheduling({
        ...(quick
          ? { rows: { "natural-reasoning": 900, coral: 250, tau: 100 }, speed: 6 }
          : { rows: { "natural-reasoning": 1800, coral: 600, tau: 200 }, speed: 2, batchSizes: [32, 16, 64] }),
        onResult: (result) => say(formatScheduling(result)),
      });
      const rate = (workload: string, mode: string) =>
        scheduling.find((r) => r.workload === workload && r.mode === mode)?.tokensPerSecond ?? NaN;
      const schedulingRatios = [...new Set(scheduling.map((r) => r.workload))].map((workload) => ({
        workload,
        rowOverBatch: rate(workload, "row") / rate(workload, "batch"),
        rowOverCentral: rate(workload, "row") / rate(workload, "central"),
      }));
      for (const r of schedulingRatios)
        say(`${r.workload}: row / batch ${r.rowOverBatch.toFixed(2)}x, row / central ${r.rowOverCentral.toFixed(2)}x`);
      return { scheduling, schedulingRatios };
    },
    async local() {
      say("\n# local bus, no-op agents");
      await hopsPerSecond(2000, 20, 256); // warm-up
      const local = await hopsPerSecond(quick ? 10_000 : 20_000, 20, 256);
      const localHopsPerSecond = local.hops / local.seconds;
      say(`${Math.round(localHopsPerSecond).toLocaleString("en-US")} hops/s`);
      return { localHopsPerSecond };
    },
    async nats() {
      say("\n# NATS: raw JetStream, hops through worker processes, offloading");
      const server = await startServer();
      try {
        const rawMessages = quick ? 30_000 : 60_000;
        const tasks = quick ? 2000 : 5000;
        const n = (value: number) => Math.round(value).toLocaleString("en-US");
        const hot = await hotPath(server.url, server.pid, { rounds: quick ? 1 : 3, rawMessages, tasks });
        for (const [i, round] of hot.rounds.entries()) say(formatRound(round, i));
        const natsRawRateClient = (await rawRate(server.url, rawMessages, "client")).rate;
        const two = await hopRate(server.url, tasks, 20, 2, server.pid);
        const natsTwoWorkers = two.figure;
        say(
          `median round: ${n(hot.median.hopsPerSecond)} hops/s, ${hot.median.ratio.toFixed(2)} of raw; client js.publish raw ${n(natsRawRateClient)} msg/s; ` +
            `2 worker processes: ${formatHops(natsTwoWorkers.hopsPerSecond, natsTwoWorkers.cpuMicrosPerHop)}`,
        );
        const turnChars = 2000;
        const without = await bytesPerHop(server.url, 0, turnChars);
        const withOffload = await bytesPerHop(server.url, DEFAULT_OFFLOAD_THRESHOLD, turnChars);
        const offload = {
          turnChars,
          threshold: DEFAULT_OFFLOAD_THRESHOLD,
          bytesPerHopWith: withOffload.wirePerHop + withOffload.objectPerHop,
          bytesPerHopWithout: without.wirePerHop + without.objectPerHop,
          hopsPerSecondWith: withOffload.hops / withOffload.seconds,
          hopsPerSecondWithout: without.hops / without.seconds,
        };
        say(
          `offloading (20 turns of ${turnChars} chars, threshold ${DEFAULT_OFFLOAD_THRESHOLD} B): ${Math.round(offload.bytesPerHopWith)} vs ${Math.round(offload.bytesPerHopWithout)} B/hop ` +
            `(${((1 - offload.bytesPerHopWith / offload.bytesPerHopWithout) * 100).toFixed(0)}% fewer), ` +
            `${Math.round(offload.hopsPerSecondWith)} vs ${Math.round(offload.hopsPerSecondWithout)} hops/s (${(offload.hopsPerSecondWith / offload.hopsPerSecondWithout).toFixed(2)}x)`,
        );
        return {
          natsHopsPerSecond: hot.median.hopsPerSecond,
          natsRawRate: hot.median.rawRate,
          natsRawRateClient,
          natsCpuMicrosPerHop: hot.median.cpuMicrosPerHop,
          natsRawCpuMicrosPerMessage: hot.median.rawCpuMicrosPerMessage,
          natsRounds: hot.rounds,
          natsTwoWorkers,
          offload,
        };
      } finally {
        await server.stop();
      }
    },
    async concurrency() {
      say("\n# concurrency: Coral-like conversations held at once");
      const concurrency = await measureConcurrency(
        quick ? { conversations: 20_000, holdSeconds: 60 } : { conversations: 100_000, holdSeconds: 300 },
      );
      say(formatConcurrency(concurrency));
      return { concurrency };
    },
    async cpu() {
      say("\n# CPU per LLM call, this process only (the simulator runs in a child)");
      const cpuResult = await measureLlmCpu(quick ? { calls: 1000, rounds: 3 } : {});
      say(formatLlmCpu(cpuResult));
      return {
        cpuMsPerLlmCall: {
          matrix: cpuResult.matrixMsPerCall,
          bareClient: cpuResult.bareMsPerCall,
          bareYieldingClient: cpuResult.bareYieldingMsPerCall,
        },
      };
    },
    async scaling() {
      say("\n# scaling out");
      const scaling = await measureScaling(quick ? { rowsPerUnit: 60 } : {});
      for (const line of formatScaling(scaling)) say(line);
      return { scaling };
    },
  };
}

async function main(argv: string[]): Promise<void> {
  const quick = argv.includes("--quick");
  const onlyAt = argv.indexOf("--only");
  const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? "").split(",") : [...SECTIONS];
  const unknown = only.filter((name) => !(SECTIONS as readonly string[]).includes(name));
  if (unknown.length > 0) throw new Error(`--only: unknown section ${unknown.join(", ")} (${SECTIONS.join(", ")})`);
  const outFile = resolve(root, "out/bench/summary.json");
  const started = Date.now();
  const cpu = cpus();
  const machine = {
    cores: cpu.length,
    cpu: cpu[0]?.model ?? "cpu",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    loadAverageAtStart: Number(loadavg()[0]!.toFixed(2)),
  };
  say(
    `matrix benchmarks${quick ? " (quick)" : ""}: ${machine.cores} x ${machine.cpu}, ${machine.memoryGiB} GiB, node ${machine.node}, load ${machine.loadAverageAtStart}`,
  );
  // `--only` re-measures some sections and keeps the others of the last summary (each section says when).
  const previous: Partial<BenchSummary> =
    only.length < SECTIONS.length && existsSync(outFile)
      ? (JSON.parse(readFileSync(outFile, "utf8")) as BenchSummary)
      : {};
  const measuredAt: Record<string, string> = {
    ...(previous.startedAt ? Object.fromEntries(SECTIONS.map((name) => [name, previous.startedAt!])) : {}),
    ...previous.measuredAt,
  };
  let summary: Partial<BenchSummary> = { ...previous };
  const run = sections(quick);
  for (const name of only as Array<keyof Sections>) {
    measuredAt[name] = new Date().toISOString();
    summary = { ...summary, ...(await run[name]()) };
  }
  const missing = SECTIONS.filter((name) => measuredAt[name] === undefined);
  if (missing.length > 0) throw new Error(`no figures for ${missing.join(", ")}: run without --only first`);
  const complete: BenchSummary = {
    ...(summary as BenchSummary),
    quick,
    startedAt: new Date(started).toISOString(),
    durationSeconds: Math.round((Date.now() - started) / 1000),
    machine,
    measuredAt,
  };
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(complete, null, 2)}\n`);
  say(`\nwrote ${outFile} (${complete.durationSeconds} s)`);
}

await main(process.argv.slice(2));
