/**
 * Benchmark of the built-in LLM simulator (prints figures, asserts nothing):
 *   1. saturating load in steady state: generated tokens/s against capacityTokensPerSecond;
 *   2. 10,000 requests open at once: peak running + waiting, all completed, server RSS;
 *   3. the simulator's own CPU cost per generated token.
 * The server runs in a child process (this file with `serve`), so the load generator's CPU is separate.
 *
 * Run: npx tsx bench/simulator.ts
 */
import { spawn, type ChildProcess } from "node:child_process";
import { Agent, request } from "node:http";
import os from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { runSimulatorCli } from "../sdk/llm/simulator/index.js";

interface Stats {
  running: number;
  waiting: number;
  generatedTokens: number;
  completed: number;
  cpuUserMicros: number;
  cpuSystemMicros: number;
  rssBytes: number;
}

if (process.argv[2] === "serve") {
  await runSimulatorCli(process.argv.slice(3));
} else {
  await main();
}

async function main(): Promise<void> {
  const cpus = os.cpus();
  console.log(
    `machine: ${cpus.length} x ${cpus[0]?.model ?? "unknown cpu"}, node ${process.version}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`,
  );

  // 1 + 3: saturation, non-streamed and streamed.
  await saturation("non-streaming", ["--profile", "llama-3.1-8b-h100", "--speed", "4"], 512, false);
  await saturation("streaming", ["--profile", "llama-3.1-8b-h100", "--speed", "1"], 512, true);
  // 2: ten thousand open requests.
  await holdTenThousand();
}

async function saturation(label: string, args: string[], concurrency: number, stream: boolean): Promise<void> {
  const server = await startChild(args);
  const config = (await getJson(`${server.root}/sim/config`)) as { capacityTokensPerSecond: number; speed: number };
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  let stop = false;
  let failures = 0;
  const body = (index: number) =>
    JSON.stringify({
      model: "m",
      messages: [{ role: "user", content: `Request ${index}: write a paragraph about harbours.` }],
      ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
    });
  let counter = 0;
  const worker = async () => {
    while (!stop) {
      const ok = await post(agent, `${server.root}/v1/chat/completions`, body(counter++)).catch(() => false);
      if (!ok) failures++;
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  const warmupMs = 8000;
  const windowMs = 15000;
  await sleep(warmupMs);
  const before = { stats: (await getJson(`${server.root}/sim/stats`)) as Stats, time: performance.now() };
  await sleep(windowMs);
  const after = { stats: (await getJson(`${server.root}/sim/stats`)) as Stats, time: performance.now() };
  stop = true;
  const tokens = after.stats.generatedTokens - before.stats.generatedTokens;
  const seconds = (after.time - before.time) / 1000;
  const rate = tokens / seconds;
  const cpuMicros =
    after.stats.cpuUserMicros + after.stats.cpuSystemMicros - before.stats.cpuUserMicros - before.stats.cpuSystemMicros;
  console.log(`\n[1] saturation, ${label}: ${args.join(" ")}, ${concurrency} concurrent clients`);
  console.log(`    steady-state window ${seconds.toFixed(1)} s after ${warmupMs / 1000} s warm-up`);
  console.log(`    generated tokens/s      ${rate.toFixed(0)}`);
  console.log(`    capacityTokensPerSecond ${config.capacityTokensPerSecond.toFixed(0)}`);
  console.log(`    ratio                   ${((rate / config.capacityTokensPerSecond) * 100).toFixed(1)} %`);
  console.log(`    running at end of window ${after.stats.running}, waiting ${after.stats.waiting}`);
  console.log(
    `    requests completed in window ${after.stats.completed - before.stats.completed}, client failures ${failures}`,
  );
  console.log(
    `[3] server CPU per generated token (${label}): ${(cpuMicros / tokens).toFixed(2)} us ` +
      `(${((cpuMicros / 1e6 / seconds) * 100).toFixed(0)} % of one core), RSS ${(after.stats.rssBytes / 2 ** 20).toFixed(0)} MiB`,
  );
  await Promise.allSettled(workers);
  agent.destroy();
  await server.stop();
}

async function holdTenThousand(): Promise<void> {
  const total = 10_000;
  // Every sequence fits in one batch (step 100 ms + 0.01 ms/seq = 200 ms at 10k), 50 tokens each: a request
  // lives ~10 s, longer than it takes to open ten thousand connections, so all are open at once.
  const args = [
    "--profile",
    "llama-3.1-8b-h100",
    "--speed",
    "1",
    "--max-num-seqs",
    String(total),
    "--kv-capacity-tokens",
    "100000000",
    "--step-base-ms",
    "100",
    "--step-per-seq-ms",
    "0.01",
    "--output-tokens-median",
    "50",
    "--output-tokens-sigma",
    "0",
  ];
  const server = await startChild(args);
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity });
  const started = performance.now();
  let peakOpen = 0;
  let peakRss = 0;
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const stats = (await getJson(`${server.root}/sim/stats`)) as Stats;
      peakOpen = Math.max(peakOpen, stats.running + stats.waiting);
      peakRss = Math.max(peakRss, stats.rssBytes);
      await sleep(100);
    }
  })();
  const results = await Promise.all(
    Array.from({ length: total }, (_, index) =>
      post(
        agent,
        `${server.root}/v1/chat/completions`,
        JSON.stringify({ model: "m", messages: [{ role: "user", content: `hold ${index}` }] }),
      ).catch(() => false),
    ),
  );
  const elapsed = (performance.now() - started) / 1000;
  polling = false;
  await poller;
  const stats = (await getJson(`${server.root}/sim/stats`)) as Stats;
  console.log(`\n[2] ${total} concurrent requests: ${args.join(" ")}`);
  console.log(
    `    completed OK ${results.filter(Boolean).length} / ${total} in ${elapsed.toFixed(1)} s (server counted ${stats.completed})`,
  );
  console.log(`    peak open in the engine (running + waiting, from /sim/stats) ${peakOpen}`);
  console.log(`    server peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
  agent.destroy();
  await server.stop();
}

/** POSTs a body and reads the whole reply; resolves true on a 200. */
function post(agent: Agent, url: string, body: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent, headers: { "content-type": "application/json" } }, (res) => {
      res.on("data", () => {});
      res.on("end", () => resolve(res.statusCode === 200));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

async function getJson(url: string): Promise<unknown> {
  const response = await fetch(url);
  return response.json();
}

async function startChild(args: string[]): Promise<{ root: string; stop(): Promise<void> }> {
  const child: ChildProcess = spawn(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), "serve", ...args],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`simulator exited with ${code}`)));
  });
  return {
    root: line.trim().replace(/\/v1$/, ""),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
