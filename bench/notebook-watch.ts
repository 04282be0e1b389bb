/**
 * Benchmark: what a live dashboard costs a saturating run. The same run (two chat roles and a code
 * role against the in-process simulator at a speed where the node process, not the modelled GPU,
 * is the bottleneck) is timed with and without `dashboard(run)` watching it, alternately, several
 * times; the display goes to a fake sink that serializes each frame as the kernel would (JSON), so
 * the whole render path runs without Jupyter. Prints tokens/s of each run, the median ratio, and
 * what the view did (frames, plot frames, ms per plot frame). tokens/s is over the run's own
 * duration (the view's last frame, drawn after the run ended, is not counted against it). On a
 * shared machine wall-clock throughput swings with other load, so it also prints CPU time per 1,000
 * tokens: on a saturated process, the share of CPU the view adds is the share of throughput it
 * takes. Asserts nothing (compare the ratios measured in one run).
 *
 * Run: npx tsx bench/notebook-watch.ts [--rows 2000] [--repeats 5] [--speed 1000]
 */
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { pipeline } from "../sdk/index.js";
import { LiveView, setDisplayTarget, type LiveViewStats } from "../sdk/notebook/index.js";

const { values } = parseArgs({
  options: {
    rows: { type: "string", default: "2000" },
    repeats: { type: "string", default: "5" },
    speed: { type: "string", default: "1000" },
  },
});
const rows = Number(values.rows);
const repeats = Number(values.repeats);
const speed = Number(values.speed);

let frameBytes = 0;
setDisplayTarget({ publish: (bundle) => void (frameBytes += JSON.stringify(bundle).length) });

const bench = pipeline("bench-watch")
  .chat("writer", { prompt: "Write a paragraph about {{row.topic}}.", maxTokens: 96 })
  .chat("critic", { system: "Point out one unclear sentence.", maxTokens: 48 })
  .code("measure", (task) => ({ state: { words: (task.history[0]?.content ?? "").split(" ").length } }));

interface Result {
  tokensPerSecond: number;
  seconds: number;
  /** CPU time of this process over wall time: near 1 means the run is bound by this process's core. */
  cpu: number;
  /** CPU milliseconds of this process per 1,000 tokens, while the run worked. */
  cpuPerKiloToken: number;
  stats?: LiveViewStats;
}

async function once(watched: boolean): Promise<Result> {
  const source = Array.from({ length: rows }, (_, i) => ({ id: `r${i}`, topic: `topic ${i}` }));
  const cpuBefore = process.cpuUsage();
  const run = bench.run({ source, simulator: { speed }, concurrency: 64, maxInFlight: 256 });
  // CPU up to the run's end: registered first, this runs before the view's final frame starts.
  const cpuAtEnd = run.done().then(() => process.cpuUsage(cpuBefore));
  let stats: LiveViewStats | undefined;
  if (watched) {
    const view = new LiveView([run], { rows: 10, plots: ["throughput", "queues", "latency"] });
    await view.start();
    stats = view.stats;
  }
  const summary = await run.done();
  const cpuUsed = await cpuAtEnd;
  if (summary.counts.done !== rows) throw new Error(`expected ${rows} done, got ${JSON.stringify(summary.counts)}`);
  const progress = run.progress();
  const seconds = progress.elapsedMs / 1000;
  const tokens = progress.promptTokens + progress.completionTokens;
  const cpuMs = (cpuUsed.user + cpuUsed.system) / 1000;
  return {
    tokensPerSecond: progress.tokensPerSecond,
    seconds,
    cpu: cpuMs / 1000 / seconds,
    cpuPerKiloToken: (cpuMs / tokens) * 1000,
    ...(stats ? { stats } : {}),
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? "unknown cpu"}, node ${process.version}`);
console.log(`workload: ${rows} rows x (2 chat turns + 1 code role), simulator speed ${speed}, concurrency 64`);
await once(false); // warm-up: simulator start, module loading, JIT
await once(true); // warm-up: vega loads on the first plot frame
const plain: number[] = [];
const watched: number[] = [];
const plainCpu: number[] = [];
const watchedCpu: number[] = [];
for (let index = 0; index < repeats; index++) {
  const a = await once(false);
  plain.push(a.tokensPerSecond);
  plainCpu.push(a.cpuPerKiloToken);
  console.log(
    `  unwatched  ${a.tokensPerSecond.toFixed(0).padStart(7)} tokens/s  ${a.seconds.toFixed(1)} s  cpu ${(a.cpu * 100).toFixed(0)}% of a core, ${a.cpuPerKiloToken.toFixed(1)} ms per 1k tokens`,
  );
  frameBytes = 0;
  const b = await once(true);
  watched.push(b.tokensPerSecond);
  watchedCpu.push(b.cpuPerKiloToken);
  const stats = b.stats!;
  console.log(
    `  dashboard  ${b.tokensPerSecond.toFixed(0).padStart(7)} tokens/s  ${b.seconds.toFixed(1)} s  cpu ${(b.cpu * 100).toFixed(0)}% of a core, ${b.cpuPerKiloToken.toFixed(1)} ms per 1k tokens  ` +
      `${stats.frames} frames, ${stats.plotFrames} plot frames, ${(stats.plotMs / Math.max(1, stats.plotFrames)).toFixed(1)} ms per plot frame ` +
      `(3 plots), ${Math.round(frameBytes / Math.max(1, stats.frames) / 1024)} KB per frame`,
  );
}
const ratio = median(watched) / median(plain);
console.log(`median tokens/s: unwatched ${median(plain).toFixed(0)}, with dashboard ${median(watched).toFixed(0)}`);
console.log(`ratio (dashboard / unwatched): ${ratio.toFixed(3)} (${((1 - ratio) * 100).toFixed(1)}% slower)`);
const cpuRatio = median(watchedCpu) / median(plainCpu);
console.log(
  `median CPU per 1k tokens: unwatched ${median(plainCpu).toFixed(1)} ms, with dashboard ${median(watchedCpu).toFixed(1)} ms ` +
    `(ratio ${cpuRatio.toFixed(3)}: the view adds ${((cpuRatio - 1) * 100).toFixed(1)}% CPU)`,
);
