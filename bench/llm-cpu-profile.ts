/**
 * Profiling aid for bench/llm-cpu.ts (issue #13): runs the matrix side (a local-bus chat run) or the bare
 * side (a loop over the `openai` client) of that benchmark on its own and prints CPU per call (user and
 * system), so a profile holds one side only.
 *
 * - `--profile FILE` records a CPU profile (the format of `node --cpu-prof`) of the measured calls only:
 *   warm-up and module loading (which tsx compiles on the fly) are left out. The profiler samples wall
 *   time, so on a loaded machine preemption is charged to whatever was running: compare shares, not µs.
 * - `--heap-profile FILE` records a sampling heap profile (`.heapprofile`) of the same calls, counting
 *   short-lived objects too: bytes allocated per call by function, which is what the scavenger pays for.
 * - `--fake` replaces `fetch` with an in-process stub that answers every request with one canned
 *   completion on the next turn of the event loop: no sockets, no simulator, no undici. Both sides then
 *   run the same `openai` code over the same stub, so what is left of the difference is the SDK's own
 *   work, with far less noise than over HTTP. `--side both` alternates the two in one process.
 * - `--dist` runs the compiled SDK (`dist/`, after `npm run build`): under tsx every named closure also
 *   calls esbuild's `__name` helper, which the compiled code (and tslab's) does not.
 * - `--yield`: the bare loop yields to the event loop (`setImmediate`) between its calls, as the local bus
 *   does between hops (bench/llm-cpu.ts says why that matters). `--warm N`: warm-up calls (default 1000;
 *   the run's per-call CPU takes some 5,000 to settle).
 *
 * Run: npx tsx bench/llm-cpu-profile.ts [--side matrix|bare|both] [--calls N] [--rounds N | --sequence mmbb] [--fake] [--dist]
 *        [--yield] [--warm N] [--profile /tmp/matrix.cpuprofile] [--heap-profile /tmp/matrix.heapprofile]
 */
import { writeFile } from "node:fs/promises";
import { Session } from "node:inspector/promises";
import OpenAI from "openai";
import { startSimulatorProcess } from "./llm-cpu.js";

const argv = process.argv.slice(2);
const option = (name: string) => {
  const index = argv.indexOf(`--${name}`);
  return index >= 0 ? argv[index + 1] : undefined;
};
const side = option("side") ?? "matrix";
const calls = Number(option("calls") ?? 20_000);
const rounds = Number(option("rounds") ?? 1);
const profilePath = option("profile");
const heapProfilePath = option("heap-profile");
const fake = argv.includes("--fake");
const yieldBetween = argv.includes("--yield");
const sdk = argv.includes("--dist") ? "../dist/index.js" : "../sdk/index.js";
const { pipeline } = (await import(sdk)) as typeof import("../sdk/index.js");
const concurrency = 64;
const model = "sim-model";

const completion = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1_700_000_000,
  model,
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "Harbours shelter ships from the open sea. ".repeat(12) },
      finish_reason: "stop",
    },
  ],
  usage: { prompt_tokens: 24, completion_tokens: 120, total_tokens: 144 },
});

if (fake) {
  // Read the body as a server would, and answer on the next turn of the event loop.
  globalThis.fetch = async (_url: unknown, init?: RequestInit) => {
    if (typeof init?.body === "string" && init.body.length === 0) throw new Error("empty body");
    await new Promise((resolve) => setImmediate(resolve));
    return new Response(completion, { status: 200, headers: { "content-type": "application/json" } });
  };
}
const server = fake ? undefined : await startSimulatorProcess(["--speed", "1000"]);
const baseUrl = server?.baseUrl ?? "http://fake.invalid/v1";
const serverModel = server
  ? ((await (await fetch(`${baseUrl}/models`)).json()) as { data: { id: string }[] }).data[0]!.id
  : model;

async function matrix(n: number) {
  const rows = Array.from({ length: n }, (_, i) => ({ id: String(i) }));
  const summary = await pipeline("bench-llm-cpu")
    .chat("ask", { prompt: "Question {{row.id}}: write a paragraph about harbours." })
    .run({
      source: rows,
      concurrency,
      maxInFlight: concurrency,
      keepResults: false,
      llm: { endpoints: [{ baseUrl, apiKey: "sim" }], defaultModel: serverModel },
    })
    .done();
  if (summary.counts.done !== n) throw new Error(JSON.stringify(summary.counts));
}

async function bare(n: number) {
  const client = new OpenAI({ baseURL: baseUrl, apiKey: "sim", maxRetries: 0, timeout: 125_000 });
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const index = next++;
      const reply = await client.chat.completions.create({
        model: serverModel,
        messages: [{ role: "user", content: `Question ${index}: write a paragraph about harbours.` }],
      });
      if ((reply.choices[0]?.message.content ?? "") === "") throw new Error("empty");
      if (yieldBetween) await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function measure(run: (n: number) => Promise<void>): Promise<{ user: number; system: number }> {
  const since = process.cpuUsage();
  await run(calls);
  const used = process.cpuUsage(since);
  return { user: used.user / 1000 / calls, system: used.system / 1000 / calls };
}

const format = (name: string, used: { user: number; system: number }) =>
  `${name} ${(used.user + used.system).toFixed(3)} ms (user ${used.user.toFixed(3)}, system ${used.system.toFixed(3)})`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

try {
  for (const warm of side === "both" ? [matrix, bare] : [side === "bare" ? bare : matrix])
    await warm(Number(option("warm") ?? 1000));
  const session = profilePath || heapProfilePath ? new Session() : undefined;
  session?.connect();
  if (session && profilePath) {
    await session.post("Profiler.enable");
    await session.post("Profiler.setSamplingInterval", { interval: 200 });
    await session.post("Profiler.start");
  }
  if (session && heapProfilePath) {
    // Every allocation sampled, including what the scavenger collects: bytes allocated, not bytes kept.
    await session.post("HeapProfiler.enable");
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: 256,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    });
  }
  const differences: number[] = [];
  // `--sequence mmbbm`: one measurement per letter (m matrix, b bare) in that order, to see what one side
  // costs right after the other (the benchmark alternates them).
  for (const letter of option("sequence") ?? "") {
    const name = letter === "b" ? "bare" : "matrix";
    process.stdout.write(`${format(name, await measure(letter === "b" ? bare : matrix))}\n`);
  }
  for (let round = 0; round < (option("sequence") ? 0 : rounds); round++) {
    if (side === "both") {
      const order = round % 2 === 0 ? ([matrix, bare] as const) : ([bare, matrix] as const);
      const first = await measure(order[0]);
      const second = await measure(order[1]);
      const [m, b] = round % 2 === 0 ? [first, second] : [second, first];
      const difference = m.user + m.system - (b.user + b.system);
      differences.push(difference);
      process.stdout.write(`${format("matrix", m)}, ${format("bare", b)}, difference ${difference.toFixed(3)} ms\n`);
    } else {
      process.stdout.write(`${format(side, await measure(side === "bare" ? bare : matrix))} CPU per call\n`);
    }
  }
  if (differences.length > 1) process.stdout.write(`median difference ${median(differences).toFixed(3)} ms\n`);
  if (session && profilePath) {
    const { profile } = await session.post("Profiler.stop");
    await writeFile(profilePath, JSON.stringify(profile));
  }
  if (session && heapProfilePath) {
    const { profile } = await session.post("HeapProfiler.stopSampling");
    await writeFile(heapProfilePath, JSON.stringify(profile));
  }
  session?.disconnect();
} finally {
  await server?.stop();
}
