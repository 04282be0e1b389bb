/**
 * Benchmark: hops per second through the local bus with no-op agents, and memory held per in-flight
 * task. Prints figures; asserts nothing (the machine is shared and noisy: compare ratios in one run).
 *
 * Run: npm run bench:local   (node --expose-gc is used for the memory figure when available).
 * `hopsPerSecond` is exported for the suite (bench/suite.ts).
 */
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { LiveMetrics, pipeline } from "../sdk/index.js";

const gc = (globalThis as { gc?: () => void }).gc;

export async function hopsPerSecond(
  tasks: number,
  hopsPerTask: number,
  concurrency: number,
  extra: { metrics?: LiveMetrics; trace?: boolean } = {},
): Promise<{ hops: number; seconds: number }> {
  // No-op agents; the hop budget travels in the row and the router alone decides where a task goes.
  const limited = pipeline("bench-hops")
    .code("a", () => undefined)
    .code("b", () => undefined)
    .router("a", (task) => (task.hops < (task.row!.hops as number) ? (task.hops % 2 === 0 ? "a" : "b") : null));
  const rows = Array.from({ length: tasks }, (_, i) => ({ id: String(i), hops: hopsPerTask }));
  const started = process.hrtime.bigint();
  const summary = await limited
    .run({ source: rows, maxInFlight: concurrency, concurrency, keepResults: false, ...extra })
    .done();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (summary.counts.done !== tasks) throw new Error(`expected ${tasks} done, got ${JSON.stringify(summary.counts)}`);
  return { hops: summary.hops, seconds };
}

async function memoryPerInFlight(tasks: number, turns: number, turnChars: number): Promise<number> {
  // Every task parks in role `hold` until all of them are in flight, so `tasks` are held at once.
  let release!: () => void;
  const allIn = new Promise<void>((resolve) => (release = resolve));
  let arrived = 0;
  let baseline = 0;
  let held = 0;
  const holdRegistry = { wait: allIn, arrive: () => {} };
  (globalThis as Record<string, unknown>).__benchHold = holdRegistry;
  holdRegistry.arrive = () => {
    arrived++;
    if (arrived === tasks) {
      gc?.();
      held = process.memoryUsage().heapUsed - baseline;
      release();
    }
  };
  const p = pipeline("bench-memory")
    .params({ turns, turnChars })
    .code("fill", (task, ctx) => ({
      turns: Array.from({ length: ctx.params.turns as number }, (_, i) => ({
        content: `turn ${i} of ${task.id} `.padEnd(ctx.params.turnChars as number, "x"),
      })),
    }))
    .code("hold", async () => {
      const registry = (globalThis as Record<string, unknown>).__benchHold as typeof holdRegistry;
      registry.arrive();
      await registry.wait;
      return undefined;
    });
  const rows = Array.from({ length: tasks }, (_, i) => ({ id: String(i), text: `row ${i}` }));
  gc?.();
  baseline = process.memoryUsage().heapUsed;
  await p.run({ source: rows, maxInFlight: tasks, concurrency: tasks, keepResults: false }).done();
  return held / tasks;
}

async function main(): Promise<void> {
  const cpu = cpus();
  process.stdout.write(
    `machine: ${cpu.length} x ${cpu[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}\n`,
  );
  await hopsPerSecond(2000, 20, 256); // warm-up: JIT and allocator
  for (const [tasks, hops, concurrency] of [
    [20_000, 20, 256],
    [5_000, 100, 1024],
    [100_000, 2, 4096],
  ] as const) {
    const result = await hopsPerSecond(tasks, hops, concurrency);
    process.stdout.write(
      `local bus, no-op agents: ${tasks} tasks x ${hops} hops, ${concurrency} in flight: ` +
        `${Math.round(result.hops / result.seconds).toLocaleString("en-US")} hops/s (${result.hops} hops in ${result.seconds.toFixed(2)} s)\n`,
    );
  }
  // What live Prometheus metrics (LiveMetrics) and per-task tracing cost on the hot path: same
  // workload, alternating, so machine noise hits each variant alike.
  const variants: Array<[string, () => { metrics?: LiveMetrics; trace?: boolean }]> = [
    ["no metrics", () => ({})],
    ["LiveMetrics", () => ({ metrics: new LiveMetrics() })],
    ["trace", () => ({ trace: true })],
  ];
  const rates = new Map<string, number[]>();
  const ROUNDS = 5;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, extra] of variants) {
      const result = await hopsPerSecond(20_000, 20, 256, extra());
      rates.set(name, [...(rates.get(name) ?? []), result.hops / result.seconds]);
    }
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const base = median(rates.get("no metrics")!);
  for (const [name, values] of rates) {
    process.stdout.write(
      `  20000 tasks x 20 hops, ${name}: ${Math.round(median(values)).toLocaleString("en-US")} hops/s (median of ${ROUNDS}; ${(median(values) / base).toFixed(2)}x)\n`,
    );
  }
  // The metrics' own share of a hop, without the bus around it: what the agent loop calls per hop.
  const meter = new LiveMetrics().agentMeter("bench", "a");
  const calls = 2_000_000;
  for (let i = 0; i < 100_000; i++) (meter.received(), meter.settled("ok", 1, 0.01));
  const meterStart = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    meter.received();
    meter.settled("ok", i % 7, 0.01 * (i % 13));
  }
  const meterNs = Number(process.hrtime.bigint() - meterStart) / calls;
  process.stdout.write(
    `  LiveMetrics per hop (meter received + settled, two histograms): ${meterNs.toFixed(0)} ns; a no-op hop here costs ${(1e9 / base).toFixed(0)} ns\n`,
  );
  if (!gc) process.stdout.write("(memory figures are rough: run with node --expose-gc for exact ones)\n");
  for (const [turns, chars] of [
    [0, 0],
    [6, 500],
  ] as const) {
    const perTask = await memoryPerInFlight(10_000, turns, chars);
    process.stdout.write(
      `memory, 10,000 tasks in flight at once, ${turns} turns of ${chars} chars each: ` +
        `${(perTask / 1024).toFixed(1)} KiB per task, ${((perTask * 10_000) / 2 ** 20).toFixed(0)} MiB total\n`,
    );
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
