/**
 * Benchmark: how many Coral-like conversations one process holds at once, and its memory. The coral
 * recipe runs with every row in flight at once (maxInFlight = rows) against a simulator in a child
 * process; the run goes on for a while after the last row is fed, so conversations are held mid-way
 * (several turns each), then it is cancelled. Prints the peak RSS of this process (the simulator's is
 * not counted). Prints figures; asserts nothing.
 *
 * Where you are: `bench/`. `measureConcurrency` is exported for the suite (bench/suite.ts).
 * Run: node --import tsx bench/concurrency.ts [--conversations 100000] [--hold 30]
 */
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { recipe } from "../sdk/index.js";
import { startSimulatorProcess } from "./llm-cpu.js";

export interface ConcurrencyOptions {
  /** Conversations in flight at once. @default 100000 */
  conversations?: number;
  /** Seconds the run goes on after every conversation is in flight. @default 30 */
  holdSeconds?: number;
}

export interface ConcurrencyResult {
  /** Conversations in flight when the peak was taken. */
  inFlight: number;
  /** Peak resident set size of this process, MiB. */
  rssMB: number;
  /** Peak V8 heap in use, MiB. */
  heapMB: number;
  /** Hops (turns, extractions, matches) per in-flight conversation when the run was stopped. */
  hopsPerConversation: number;
  /** The same process before the run, MiB. */
  baselineRssMB: number;
}

const MIB = 2 ** 20;

export async function measureConcurrency(options: ConcurrencyOptions = {}): Promise<ConcurrencyResult> {
  const conversations = options.conversations ?? 100_000;
  const holdMs = (options.holdSeconds ?? 30) * 1000;
  const server = await startSimulatorProcess([
    "--speed",
    "200",
    "--max-num-seqs",
    "1024",
    "--output-tokens-median",
    "120",
  ]);
  try {
    const models = (await (await fetch(`${server.baseUrl}/models`)).json()) as { data: { id: string }[] };
    const coral = recipe("coral", { home: fileURLToPath(new URL("..", import.meta.url)), maxTurns: 10 })!;
    const baselineRssMB = process.memoryUsage().rss / MIB;
    const run = coral.run({
      rows: 368,
      trials: Math.ceil(conversations / 368),
      maxInFlight: conversations,
      concurrency: conversations,
      keepResults: false,
      llm: {
        endpoints: [{ baseUrl: server.baseUrl, apiKey: "sim", maxConcurrent: 512 }],
        defaultModel: models.data[0]!.id,
      },
    });
    let hops = 0;
    run.subscribe((event) => {
      if (event.type === "hop-end") hops++;
    });
    let peak = { rss: 0, heap: 0, inFlight: 0 };
    let allInSince: number | undefined;
    const finished = run.done().then(
      () => true,
      () => true,
    );
    for (;;) {
      const stop = await Promise.race([
        finished,
        new Promise<false>((resolve) => setTimeout(() => resolve(false), 500)),
      ]);
      const memory = process.memoryUsage();
      const progress = run.progress();
      if (memory.rss > peak.rss) peak = { rss: memory.rss, heap: memory.heapUsed, inFlight: progress.inFlight };
      if (
        allInSince === undefined &&
        progress.inFlight >= Math.min(conversations, 368 * Math.ceil(conversations / 368))
      )
        allInSince = Date.now();
      if (stop || (allInSince !== undefined && Date.now() - allInSince >= holdMs)) break;
    }
    const progress = run.progress();
    await run.cancel();
    return {
      inFlight: peak.inFlight,
      rssMB: peak.rss / MIB,
      heapMB: peak.heap / MIB,
      hopsPerConversation: hops / Math.max(1, progress.fed),
      baselineRssMB,
    };
  } finally {
    await server.stop();
  }
}

export function formatConcurrency(result: ConcurrencyResult): string {
  return (
    `${result.inFlight.toLocaleString("en-US")} Coral conversations in flight at once: peak RSS ` +
    `${Math.round(result.rssMB)} MiB (heap ${Math.round(result.heapMB)} MiB; ${Math.round(result.baselineRssMB)} MiB before the run), ` +
    `${result.hopsPerConversation.toFixed(1)} hops per conversation when stopped`
  );
}

async function main(argv: string[]): Promise<void> {
  const value = (name: string) => {
    const index = argv.indexOf(`--${name}`);
    return index >= 0 ? Number(argv[index + 1]) : undefined;
  };
  const cpu = cpus();
  process.stdout.write(
    `machine: ${cpu.length} x ${cpu[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}\n`,
  );
  const result = await measureConcurrency({ conversations: value("conversations"), holdSeconds: value("hold") });
  process.stdout.write(`${formatConcurrency(result)}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv.slice(2));
