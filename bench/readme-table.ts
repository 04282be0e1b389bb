/**
 * Writes the README's benchmark tables from a suite summary (bench/suite.ts): everything between
 * `<!-- bench:start -->` and `<!-- bench:end -->` in README.md is replaced, so the figures there are
 * always the ones a run measured, never typed by hand.
 *
 * Where you are: `bench/`. Run: `npx tsx bench/readme-table.ts [summary.json]` (default: the committed
 * bench/results/summary.json; `npm run bench` writes out/bench/summary.json, copy it there to publish).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchSummary } from "./suite.js";

const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
const START = "<!-- bench:start -->";
const END = "<!-- bench:end -->";

const int = (value: number) => Math.round(value).toLocaleString("en-US");
const pct = (value: number) => `${(value * 100).toFixed(0)}%`;
const x = (value: number) => `${value.toFixed(2)}x`;
const ms = (value: number) => value.toFixed(3);
const signed = (value: number) => `${value >= 0 ? "+" : ""}${value.toFixed(3)}`;

/** Sections measured by an earlier run than the last (`--only` re-measured the others), named with their times. */
function remeasured(summary: BenchSummary): string {
  const at = summary.measuredAt ?? {};
  const start = Date.parse(summary.startedAt);
  const earlier = Object.entries(at).filter(([, time]) => Date.parse(time) < start);
  if (earlier.length === 0) return "";
  const when = (time: string) => time.slice(11, 16);
  const later = Object.entries(at).filter(([, time]) => Date.parse(time) >= start);
  return (
    ` Sections ${later.map(([name]) => name).join(", ")} were re-measured then (\`--only\`);` +
    ` ${earlier.map(([name, time]) => `${name} at ${when(time)} UTC`).join(", ")} come from the run before.`
  );
}

export function benchTables(summary: BenchSummary): string {
  const m = summary.machine;
  const cpu = summary.cpuMsPerLlmCall;
  const lines = [
    `Measured by \`npm run bench${summary.quick ? " -- --quick" : ""}\` on ${m.cores} x ${m.cpu}, ${m.memoryGiB} GiB, node ${m.node}` +
      ` (${summary.startedAt.slice(0, 10)}; load average ${m.loadAverageAtStart} at the start).` +
      remeasured(summary) +
      " Absolute figures depend on the machine; the ratios, measured in one run, are the claim.",
    "",
    "| workload | mode | tasks in flight | tokens/s | of capacity | rows/s | p50 task s | p99 task s |",
    "|---|---|---|---|---|---|---|---|",
    ...summary.scheduling.map(
      (r) =>
        `| ${r.workload} | ${r.mode}${r.batchSize ? ` (batches of ${r.batchSize})` : ""} | ${r.concurrency} | ${int(r.tokensPerSecond)} | ${pct(r.capacityFraction)} | ${r.rowsPerSecond.toFixed(1)} | ${r.p50TaskSeconds.toFixed(2)} | ${r.p99TaskSeconds.toFixed(2)} |`,
    ),
    "",
    "| workload | row / batch | row / central |",
    "|---|---|---|",
    ...summary.schedulingRatios.map((r) => `| ${r.workload} | ${x(r.rowOverBatch)} | ${x(r.rowOverCentral)} |`),
    "",
    "| figure | measured |",
    "|---|---|",
    `| local bus, no-op agents | ${int(summary.localHopsPerSecond)} hops/s |`,
    summary.natsRounds
      ? `| NATS, driver + 1 worker process + server on this machine, no-op agents (median of ${summary.natsRounds.length} rounds${summary.natsRounds.every((r) => r.steady) ? ", between 10% and 90% of the hops" : ""}; all: ${summary.natsRounds.map((r) => `${int(r.hopsPerSecond)} at ${r.ratio.toFixed(2)} of raw${r.wholeRunHopsPerSecond ? ` (whole run, start included: ${int(r.wholeRunHopsPerSecond)} at ${(r.wholeRunHopsPerSecond / r.rawRate).toFixed(2)})` : ""}`).join(", ")}) | ${int(summary.natsHopsPerSecond)} hops/s |`
      : `| NATS, driver + 2 worker processes + server on this machine, no-op agents | ${int(summary.natsHopsPerSecond)} hops/s |`,
    `| raw JetStream publish + consume + ack, same server, through the bus's publisher | ${int(summary.natsRawRate)} msg/s (hops / raw ${summary.natsHopsPerSecond && summary.natsRawRate ? (summary.natsHopsPerSecond / summary.natsRawRate).toFixed(2) : "-"}) |`,
    ...(summary.natsTwoWorkers
      ? [`| NATS through 2 worker processes instead (same run) | ${int(summary.natsTwoWorkers.hopsPerSecond)} hops/s |`]
      : []),
    ...(summary.natsRawRateClient
      ? [`| the same through the client's js.publish (one request each) | ${int(summary.natsRawRateClient)} msg/s |`]
      : []),
    ...(summary.natsCpuMicrosPerHop
      ? [
          `| CPU per NATS hop: server + workers + driver (raw: per message, server + client) | ${int(summary.natsCpuMicrosPerHop.server)} + ${int(summary.natsCpuMicrosPerHop.workers)} + ${int(summary.natsCpuMicrosPerHop.driver)} µs (raw ${int(summary.natsRawCpuMicrosPerMessage)} µs: hops / raw by CPU ${(summary.natsRawCpuMicrosPerMessage / (summary.natsCpuMicrosPerHop.server + summary.natsCpuMicrosPerHop.workers + summary.natsCpuMicrosPerHop.driver)).toFixed(2)}) |`,
        ]
      : []),
    `| offloading (${summary.offload.turnChars}-char turns, threshold ${int(summary.offload.threshold)} B): bytes per hop | ${int(summary.offload.bytesPerHopWith)} with, ${int(summary.offload.bytesPerHopWithout)} without (${pct(1 - summary.offload.bytesPerHopWith / summary.offload.bytesPerHopWithout)} fewer) |`,
    `| offloading: hops/s | ${int(summary.offload.hopsPerSecondWith)} with, ${int(summary.offload.hopsPerSecondWithout)} without (${x(summary.offload.hopsPerSecondWith / summary.offload.hopsPerSecondWithout)}) |`,
    `| Coral conversations in flight at once in one process | ${int(summary.concurrency.inFlight)}, ${summary.concurrency.hopsPerConversation.toFixed(1)} hops deep: RSS ${int(summary.concurrency.rssMB)} MiB after a full GC (live heap ${int(summary.concurrency.heapMB)} MiB) |`,
    `| CPU per LLM call (this process) | matrix ${ms(cpu.matrix)} ms, bare openai loop ${ms(cpu.bareClient)} ms (${signed(cpu.matrix - cpu.bareClient)} ms)${cpu.bareYieldingClient === undefined ? "" : `, bare loop yielding between calls ${ms(cpu.bareYieldingClient)} ms (${signed(cpu.matrix - cpu.bareYieldingClient)} ms)`} |`,
    "",
    "| scaling out (coral) | 1 | 2 | 4 |",
    "|---|---|---|---|",
    `| simulator endpoints (local bus): tokens/s, efficiency | ${summary.scaling.endpoints.map((p) => `${int(p.tokensPerSecond)} (${pct(p.efficiency)})`).join(" | ")} |`,
    `| NATS worker processes: tokens/s, efficiency | ${summary.scaling.natsWorkers.map((p) => `${int(p.tokensPerSecond)} (${pct(p.efficiency)})`).join(" | ")} |`,
  ];
  return lines.join("\n");
}

function main(argv: string[]): void {
  const file = resolve(argv[0] ?? resolve(root, "bench/results/summary.json"));
  const summary = JSON.parse(readFileSync(file, "utf8")) as BenchSummary;
  const readmePath = resolve(root, "README.md");
  const readme = readFileSync(readmePath, "utf8");
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} ... ${END} section`);
  const next = `${readme.slice(0, start + START.length)}\n${benchTables(summary)}\n${readme.slice(end)}`;
  writeFileSync(readmePath, next);
  process.stdout.write(`README.md: benchmark tables from ${file}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main(process.argv.slice(2));
