/**
 * Benchmark: CPU spent in this process per LLM call, for a local-bus matrix run (driver, bus, chat agent,
 * LLM pool) against a bare loop over the same `openai` client, both against one simulator in a child
 * process (so the server's CPU is not counted). Prints figures; asserts nothing (the machine is shared and
 * noisy: compare them in one run, rounds rotate which side goes first).
 *
 * Two bare loops: the plain one (`await create(); create()` again at once) and one that yields to the event
 * loop (`setImmediate`) between its calls. The plain loop sends its next request from inside the I/O
 * callback that finished the last, while undici still counts that connection as busy, so it keeps twice as
 * many sockets as calls in flight and pays for it; the local bus starts hops on the next turn of the loop,
 * as the yielding loop does. The yielding loop is the like-for-like reference.
 *
 * Where you are: `bench/`. `measureLlmCpu` is exported so the benchmark suite can fold it in; the CLI
 * below runs the plain-chat, structured-output (judge) and rate-limited variants.
 *
 * Run: npm run bench:llm-cpu [-- --calls N --concurrency N --rounds N]
 */
import { spawn } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import OpenAI from "openai";
import { z } from "zod";
import { pipeline } from "../sdk/index.js";

export interface LlmCpuOptions {
  /** Calls per measurement. @default 2000 */
  calls?: number;
  /** Calls in flight at once (the run's `concurrency` and `maxInFlight`; the bare loop's workers). @default 64 */
  concurrency?: number;
  /** Rounds of matrix, bare and yielding bare (order rotating); the figures are the median of them. @default 5 */
  rounds?: number;
  /** `chat`: plain reply; `judge`: structured output against a zod schema (JSON Schema validation). @default "chat" */
  kind?: "chat" | "judge";
  /** Give the endpoint maxConcurrent, requests/min and tokens/min limits (set high enough never to wait). @default false */
  limits?: boolean;
  /** Simulator speed factor (higher: shorter simulated latency). @default 1000 */
  speed?: number;
  /** Base URL of a running OpenAI-compatible server; without it a simulator child process is started. */
  baseUrl?: string;
}

export interface LlmCpuResult {
  kind: "chat" | "judge";
  limits: boolean;
  calls: number;
  concurrency: number;
  /** Median over the rounds, ms of CPU (user + system) of this process per call. */
  matrixMsPerCall: number;
  bareMsPerCall: number;
  /** The bare loop that yields to the event loop between its calls (see the header). */
  bareYieldingMsPerCall: number;
  /** matrix - bare: what the SDK adds per call (negative: the run spends less than the plain loop). */
  differenceMs: number;
  /** matrix - the yielding bare loop. */
  differenceYieldingMs: number;
  /** Every round's figures, for ranges. */
  rounds: { matrixMsPerCall: number; bareMsPerCall: number; bareYieldingMsPerCall: number }[];
}

const Verdict = z.object({ score: z.number().int().min(1).max(5), reason: z.string() });

/** Starts `matrix sim` in a child process; resolves with its base URL once it listens. */
export async function startSimulatorProcess(args: string[] = []): Promise<{ baseUrl: string; stop(): Promise<void> }> {
  const bin = fileURLToPath(new URL("../bin/matrix.js", import.meta.url));
  const child = spawn(process.execPath, [bin, "sim", "--port", "0", ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on("line", (line) => {
      if (line.startsWith("http")) resolve(line.trim());
    });
    child.once("exit", (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  return {
    baseUrl,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function matrixRun(baseUrl: string, model: string, options: Required<Omit<LlmCpuOptions, "baseUrl">>) {
  const { calls, concurrency, kind, limits } = options;
  const endpoint = {
    baseUrl,
    apiKey: "sim",
    ...(limits ? { maxConcurrent: concurrency, requestsPerMinute: 1e9, tokensPerMinute: 1e12 } : {}),
  };
  const p =
    kind === "judge"
      ? pipeline("bench-llm-cpu").judge("judge", { prompt: "Rate answer {{row.id}} from 1 to 5.", schema: Verdict })
      : pipeline("bench-llm-cpu").chat("ask", { prompt: "Question {{row.id}}: write a paragraph about harbours." });
  const rows = Array.from({ length: calls }, (_, i) => ({ id: String(i) }));
  const since = process.cpuUsage();
  const summary = await p
    .run({
      source: rows,
      concurrency,
      maxInFlight: concurrency,
      keepResults: false,
      llm: { endpoints: [endpoint], defaultModel: model },
    })
    .done();
  const used = cpuMs(since);
  if (summary.counts.done !== calls)
    throw new Error(`matrix: expected ${calls} done, got ${JSON.stringify(summary.counts)}`);
  return used / calls;
}

async function bareLoop(
  baseUrl: string,
  model: string,
  options: Required<Omit<LlmCpuOptions, "baseUrl">>,
  yieldBetween = false,
) {
  const { calls, concurrency, kind } = options;
  const since = process.cpuUsage();
  // The same client settings the pool uses (no client retries, generous timeout).
  const client = new OpenAI({ baseURL: baseUrl, apiKey: "sim", maxRetries: 0, timeout: 125_000 });
  const responseFormat =
    kind === "judge"
      ? {
          type: "json_schema" as const,
          json_schema: { name: "judge", schema: z.toJSONSchema(Verdict) as Record<string, unknown>, strict: true },
        }
      : undefined;
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next < calls) {
      const index = next++;
      const content =
        kind === "judge" ? `Rate answer ${index} from 1 to 5.` : `Question ${index}: write a paragraph about harbours.`;
      const reply = await client.chat.completions.create({
        model,
        messages: [{ role: "user", content }],
        ...(kind === "judge" ? { temperature: 0, response_format: responseFormat } : {}),
      });
      const text = reply.choices[0]?.message.content ?? "";
      if (kind === "judge" && !Verdict.safeParse(JSON.parse(text)).success) failures++;
      else if (text === "") failures++;
      if (yieldBetween) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const used = cpuMs(since);
  if (failures > 0) throw new Error(`bare: ${failures} unusable replies`);
  return used / calls;
}

/** Measures CPU per LLM call for a matrix run and a bare `openai` loop, in alternating rounds. */
export async function measureLlmCpu(options: LlmCpuOptions = {}): Promise<LlmCpuResult> {
  const resolved = {
    calls: options.calls ?? 2000,
    concurrency: options.concurrency ?? 64,
    rounds: options.rounds ?? 5,
    kind: options.kind ?? "chat",
    limits: options.limits ?? false,
    speed: options.speed ?? 1000,
  };
  const server = options.baseUrl ? undefined : await startSimulatorProcess(["--speed", String(resolved.speed)]);
  const baseUrl = options.baseUrl ?? server!.baseUrl;
  try {
    const models = (await (await fetch(`${baseUrl}/models`)).json()) as { data: { id: string }[] };
    const model = models.data[0]!.id;
    // Warm-up: JIT, sockets, module loading. The run's code needs some 5,000 calls before its per-call
    // CPU settles (it has more code to optimise than the bare loop); a short warm-up charged that to round 1.
    const warm = { ...resolved, calls: 5000 };
    await matrixRun(baseUrl, model, warm);
    await bareLoop(baseUrl, model, warm);
    await bareLoop(baseUrl, model, warm, true);
    const sides = [
      () => matrixRun(baseUrl, model, resolved),
      () => bareLoop(baseUrl, model, resolved),
      () => bareLoop(baseUrl, model, resolved, true),
    ];
    const rounds: LlmCpuResult["rounds"] = [];
    for (let round = 0; round < resolved.rounds; round++) {
      // Rotate which goes first, so a burst of load from other processes does not always hit one side.
      const figures = [0, 0, 0];
      for (let step = 0; step < sides.length; step++) {
        const side = (round + step) % sides.length;
        figures[side] = await sides[side]!();
      }
      rounds.push({ matrixMsPerCall: figures[0]!, bareMsPerCall: figures[1]!, bareYieldingMsPerCall: figures[2]! });
    }
    const matrixMsPerCall = median(rounds.map((round) => round.matrixMsPerCall));
    const bareMsPerCall = median(rounds.map((round) => round.bareMsPerCall));
    const bareYieldingMsPerCall = median(rounds.map((round) => round.bareYieldingMsPerCall));
    return {
      kind: resolved.kind,
      limits: resolved.limits,
      calls: resolved.calls,
      concurrency: resolved.concurrency,
      matrixMsPerCall,
      bareMsPerCall,
      bareYieldingMsPerCall,
      differenceMs: matrixMsPerCall - bareMsPerCall,
      differenceYieldingMs: matrixMsPerCall - bareYieldingMsPerCall,
      rounds,
    };
  } finally {
    await server?.stop();
  }
}

const signed = (ms: number) => `${ms >= 0 ? "+" : ""}${ms.toFixed(3)}`;

/** One line per result, e.g. for `npm run bench`. */
export function formatLlmCpu(result: LlmCpuResult): string {
  const range = (values: number[]) => `${Math.min(...values).toFixed(3)}-${Math.max(...values).toFixed(3)}`;
  return (
    `CPU per LLM call, ${result.kind}${result.limits ? " with rpm/tpm/concurrency limits" : ""}, ` +
    `${result.calls} calls, ${result.concurrency} in flight: matrix ${result.matrixMsPerCall.toFixed(3)} ms ` +
    `(rounds ${range(result.rounds.map((round) => round.matrixMsPerCall))}), bare openai ` +
    `${result.bareMsPerCall.toFixed(3)} ms (rounds ${range(result.rounds.map((round) => round.bareMsPerCall))}), ` +
    `yielding ${result.bareYieldingMsPerCall.toFixed(3)} ms (rounds ` +
    `${range(result.rounds.map((round) => round.bareYieldingMsPerCall))}); matrix minus bare ` +
    `${signed(result.differenceMs)} ms (x${(result.matrixMsPerCall / result.bareMsPerCall).toFixed(2)}), minus yielding ` +
    `${signed(result.differenceYieldingMs)} ms (x${(result.matrixMsPerCall / result.bareYieldingMsPerCall).toFixed(2)})`
  );
}

async function main(argv: string[]): Promise<void> {
  const flag = (name: string) => {
    const index = argv.indexOf(`--${name}`);
    return index >= 0 ? Number(argv[index + 1]) : undefined;
  };
  const base = { calls: flag("calls"), concurrency: flag("concurrency"), rounds: flag("rounds") };
  const cpu = cpus();
  process.stdout.write(
    `machine: ${cpu.length} x ${cpu[0]?.model ?? "cpu"}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}\n`,
  );
  const server = await startSimulatorProcess(["--speed", "1000"]);
  try {
    for (const variant of [{ kind: "chat" }, { kind: "judge" }, { kind: "chat", limits: true }] as const) {
      const result = await measureLlmCpu({ ...base, ...variant, baseUrl: server.baseUrl });
      process.stdout.write(`${formatLlmCpu(result)}\n`);
    }
  } finally {
    await server.stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main(process.argv.slice(2));
