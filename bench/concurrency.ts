/**
 * Benchmark: how many Coral-like conversations one process holds at once, and its memory. The coral
 * recipe runs with every row in flight at once (maxInFlight = rows) against the simulator's reply
 * planner in this process (no HTTP: see replyingClient); every call takes the same time, so the
 * conversations move in step and are several hops deep while nearly all of them are still open; then the
 * run is cancelled. Prints the peak RSS of this process.
 * Prints figures; asserts nothing.
 *
 * Where you are: `bench/`. `measureConcurrency` is exported for the suite (bench/suite.ts).
 * Run: node --expose-gc --import tsx bench/concurrency.ts [--conversations 100000] [--hold 120] [--hops 6]
 */
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { recipe } from "../sdk/index.js";
import type { LlmClient } from "../sdk/llm/llm-client.js";
import { toWireBody } from "../sdk/llm/openai-wire.js";
import { planChatReply, renderReply } from "../sdk/llm/simulator/reply-plan.js";
import type { ChatCompletionRequest } from "../sdk/llm/simulator/request-schema.js";
import { resolveSimulatorConfig, type SimulatorConfig } from "../sdk/llm/simulator/profiles.js";

export interface ConcurrencyOptions {
  /** Conversations in flight at once. @default 100000 */
  conversations?: number;
  /** Seconds the run may go on at most. @default 120 */
  holdSeconds?: number;
  /** Stop once conversations have made this many hops on average (turns, extractions, matches). @default 6 */
  hopsPerConversation?: number;
}

export interface ConcurrencyResult {
  /** Conversations in flight when the peak was taken. */
  inFlight: number;
  /** Peak resident set size of this process while nearly all conversations were open, after a full GC (with --expose-gc), MiB. */
  rssMB: number;
  /** V8 heap in use at that peak, MiB. */
  heapMB: number;
  /** The highest RSS seen at any time of the run (garbage included), MiB. */
  maxRssMB: number;
  /** Hops (turns, extractions, matches) per conversation at the last sample with nearly all of them open. */
  hopsPerConversation: number;
  /** The same process before the run, MiB. */
  baselineRssMB: number;
}

const MIB = 2 ** 20;

/**
 * An LLM client that answers in this process as the simulator would (same reply planner: lengths,
 * JSON that follows the schema, answers that adopt a stated option) after a fixed delay, without HTTP: the conversations progress as fast as the runtime can move them, so the figure
 * is the runtime's memory for conversations several turns deep, not a measure of sockets.
 */
function replyingClient(config: SimulatorConfig, delayMs: number): LlmClient {
  return {
    async chat(request) {
      const body = toWireBody(request, config.modelName) as unknown as ChatCompletionRequest;
      const plan = planChatReply(body, config, false);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      // Through JSON, as a reply over HTTP arrives: one flat string, not the rope of pieces it was built from
      // (a rope of a 150-token reply holds several times its text in V8's heap).
      const content = JSON.parse(JSON.stringify(renderReply(plan))) as string;
      return {
        content,
        ...(request.responseSchema ? { data: JSON.parse(content) as unknown } : {}),
        finishReason: plan.finishReason,
        usage: { promptTokens: plan.promptTokens, completionTokens: plan.outputTokens },
        model: config.modelName,
        endpoint: "in-process",
        latencyMs: delayMs,
        attempts: 1,
      };
    },
    close: async () => {},
  };
}

export async function measureConcurrency(options: ConcurrencyOptions = {}): Promise<ConcurrencyResult> {
  const conversations = options.conversations ?? 100_000;
  const holdMs = (options.holdSeconds ?? 120) * 1000;
  const targetHops = options.hopsPerConversation ?? 6;
  const config = resolveSimulatorConfig({ outputTokensMedian: 120 });
  const coral = recipe("coral", { home: fileURLToPath(new URL("..", import.meta.url)), maxTurns: 10 })!;
  global.gc?.();
  const baselineRssMB = process.memoryUsage().rss / MIB;
  const run = coral.run({
    rows: 368,
    trials: Math.ceil(conversations / 368),
    maxInFlight: conversations,
    concurrency: conversations,
    keepResults: false,
    // 5 s a call: conversations stay open while the rest are fed, and move on together.
    llm: replyingClient(config, 5000),
  });
  let hops = 0;
  run.subscribe((event) => {
    if (event.type === "hop-end") hops++;
  });
  const total = 368 * Math.ceil(conversations / 368);
  // Measured while nearly every conversation is open (a Coral conversation ends on agreement, so the
  // first ones close while the last are still being fed): the peak RSS then, and how deep they were.
  const held = Math.floor(total * 0.95);
  let peak = { rss: 0, heap: 0, inFlight: 0, hopsPerConversation: 0 };
  let maxRss = 0;
  let wasHeld = false;
  const started = Date.now();
  const finished = run.done().then(
    () => true,
    () => true,
  );
  for (;;) {
    const stop = await Promise.race([finished, new Promise<false>((resolve) => setTimeout(() => resolve(false), 500))]);
    let progress = run.progress();
    const holding = progress.inFlight >= held;
    // While holding, measure live memory: a full GC first (with --expose-gc), since V8 lets garbage pile up
    // in a large heap before it collects, and the RSS it reaches then depends on when it last did.
    if (holding) global.gc?.();
    const memory = process.memoryUsage();
    if (holding) progress = run.progress();
    maxRss = Math.max(maxRss, memory.rss);
    if (holding) {
      wasHeld = true;
      const deep = hops / Math.max(1, progress.fed);
      if (memory.rss > peak.rss)
        peak = { rss: memory.rss, heap: memory.heapUsed, inFlight: progress.inFlight, hopsPerConversation: deep };
      else peak.hopsPerConversation = deep;
      if (deep >= targetHops) break;
    }
    if (stop || (wasHeld && !holding) || Date.now() - started >= holdMs) break;
  }
  const progress = run.progress();
  await run.cancel();
  return {
    inFlight: peak.inFlight,
    rssMB: peak.rss / MIB,
    heapMB: peak.heap / MIB,
    maxRssMB: Math.max(maxRss, peak.rss) / MIB,
    hopsPerConversation: peak.hopsPerConversation,
    baselineRssMB,
  };
}

export function formatConcurrency(result: ConcurrencyResult): string {
  return (
    `${result.inFlight.toLocaleString("en-US")} Coral conversations in flight at once: peak RSS ` +
    `${Math.round(result.rssMB)} MiB after a full GC (heap ${Math.round(result.heapMB)} MiB; ${Math.round(result.baselineRssMB)} MiB before the run; ` +
    `${Math.round(result.maxRssMB)} MiB at most with garbage), ` +
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
  const result = await measureConcurrency({
    conversations: value("conversations"),
    holdSeconds: value("hold"),
    hopsPerConversation: value("hops"),
  });
  process.stdout.write(`${formatConcurrency(result)}\n`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv.slice(2));
