/**
 * The simulator's continuous-batching latency model, observed from outside: predicted latencies (exact in
 * the virtual-time metrics, loosely on the wall clock), step time growing with the batch, prefill cost,
 * and the waiting queue when maxNumSeqs is reached. Wall-clock bounds are generous: the machine is a noisy
 * shared 2-core box.
 */
import OpenAI from "openai";
import { describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from "../../sdk/llm/simulator/index.js";

async function withSimulator<T>(options: SimulatorOptions, body: (sim: SimulatorHandle, client: OpenAI) => Promise<T>) {
  const sim = await startSimulator({ profile: "tiny-test", ...options });
  try {
    return await body(sim, new OpenAI({ baseURL: sim.baseUrl, apiKey: "sim", maxRetries: 0, timeout: 30_000 }));
  } finally {
    await sim.close();
  }
}

async function metric(sim: SimulatorHandle, name: string): Promise<number> {
  const text = await (await fetch(`${sim.baseUrl.replace(/\/v1$/, "")}/metrics`)).text();
  const match = new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, "m").exec(text);
  if (!match) throw new Error(`metric ${name} missing`);
  return Number(match[1]);
}

const user = (content: string) => [{ role: "user" as const, content }];

describe("latency model", () => {
  it("a lone request takes outputTokens * (stepBase + stepPerSeq), exactly in metrics and roughly on the clock", async () => {
    // 50 tokens * 20 ms = 1 s of model time; at speed 5 that is 200 ms of real time.
    await withSimulator(
      { speed: 5, stepBaseMs: 18, stepPerSeqMs: 2, prefillPerTokenMs: 0, outputTokensMedian: 50, outputTokensSigma: 0 },
      async (sim, client) => {
        const started = performance.now();
        const reply = await client.chat.completions.create({ model: "m", messages: user("Hi") });
        const elapsed = performance.now() - started;
        expect(reply.usage!.completion_tokens).toBe(50);
        expect(await metric(sim, "vllm:e2e_request_latency_seconds_sum")).toBeCloseTo(0.2, 6);
        expect(await metric(sim, "vllm:time_to_first_token_seconds_sum")).toBeCloseTo(0.004, 6);
        expect(await metric(sim, "vllm:time_per_output_token_seconds_sum")).toBeCloseTo(0.004, 6);
        // The clock can only be slower than the model (a loaded machine); the model time above is exact.
        expect(elapsed).toBeGreaterThan(180);
      },
    );
  });

  it("prefill adds prefillPerTokenMs per prompt token to the first step", async () => {
    const prompt = "x".repeat(400); // 100 tokens + 4 of template
    await withSimulator(
      { speed: 10, stepBaseMs: 10, stepPerSeqMs: 0, prefillPerTokenMs: 1, outputTokensMedian: 5, outputTokensSigma: 0 },
      async (sim, client) => {
        await client.chat.completions.create({ model: "m", messages: user(prompt) });
        // TTFT = (10 + 104 * 1) ms of model time / 10; e2e adds 4 more 10 ms steps.
        expect(await metric(sim, "vllm:time_to_first_token_seconds_sum")).toBeCloseTo(0.0114, 6);
        expect(await metric(sim, "vllm:e2e_request_latency_seconds_sum")).toBeCloseTo(0.0154, 6);
        expect(await metric(sim, "vllm:prompt_tokens_total")).toBe(104);
      },
    );
  });

  it("more concurrent sequences make every step, and so every request, slower", async () => {
    const options = { speed: 4, stepBaseMs: 10, stepPerSeqMs: 10, prefillPerTokenMs: 0, maxNumSeqs: 8 };
    const lone = await withSimulator(
      { ...options, outputTokensMedian: 40, outputTokensSigma: 0 },
      async (sim, client) => {
        const started = performance.now();
        await client.chat.completions.create({ model: "m", messages: user("alone") });
        return { wall: performance.now() - started, model: await metric(sim, "vllm:e2e_request_latency_seconds_sum") };
      },
    );
    const crowd = await withSimulator(
      { ...options, outputTokensMedian: 40, outputTokensSigma: 0 },
      async (sim, client) => {
        const started = performance.now();
        await Promise.all(
          Array.from({ length: 6 }, (_, index) =>
            client.chat.completions.create({ model: "m", messages: user(`crowd ${index}`) }),
          ),
        );
        const wall = performance.now() - started;
        const sum = await metric(sim, "vllm:e2e_request_latency_seconds_sum");
        return { wall, model: sum / (await metric(sim, "vllm:e2e_request_latency_seconds_count")) };
      },
    );
    // Lone: 40 steps of 20 ms = 0.8 s model = 0.2 s real. Six together: steps of up to 70 ms, ~0.6-0.7 s real.
    expect(lone.model).toBeCloseTo(0.2, 6);
    expect(crowd.model).toBeGreaterThan(lone.model * 2.5);
    expect(crowd.model).toBeLessThan(lone.model * 3.6);
    expect(crowd.wall).toBeGreaterThan(lone.wall * 1.5);
  });

  it("queues requests beyond maxNumSeqs (visible in metrics) and frees slots when clients abort", async () => {
    await withSimulator(
      {
        speed: 1,
        stepBaseMs: 10,
        stepPerSeqMs: 0,
        maxNumSeqs: 2,
        outputTokensMedian: 2000,
        outputTokensSigma: 0,
        maxOutputTokens: 4000,
      },
      async (sim, client) => {
        const controller = new AbortController();
        const requests = Array.from({ length: 6 }, (_, index) =>
          client.chat.completions
            .create({ model: "m", messages: user(`long ${index}`) }, { signal: controller.signal })
            .catch((error: unknown) => error),
        );
        await expect.poll(() => metric(sim, "vllm:num_requests_waiting"), { timeout: 10_000 }).toBe(4);
        expect(await metric(sim, "vllm:num_requests_running")).toBe(2);
        expect(await metric(sim, "vllm:kv_cache_usage_perc")).toBeGreaterThan(0);
        controller.abort();
        const results = await Promise.all(requests);
        expect(results.every((result) => result instanceof OpenAI.APIUserAbortError)).toBe(true);
        await expect.poll(() => metric(sim, "vllm:num_requests_running"), { timeout: 10_000 }).toBe(0);
        expect(await metric(sim, "vllm:num_requests_waiting")).toBe(0);
        expect(sim.stats().kvUsedTokens).toBe(0);
      },
    );
  });

  it("the KV cache limits the batch below maxNumSeqs", async () => {
    // Each sequence reserves ~5 prompt + 100 output tokens; 250 tokens of KV hold two of them.
    await withSimulator(
      { speed: 1, stepBaseMs: 10, maxNumSeqs: 4, kvCapacityTokens: 250, outputTokensMedian: 100, outputTokensSigma: 0 },
      async (sim, client) => {
        const controller = new AbortController();
        const requests = Array.from({ length: 4 }, (_, index) =>
          client.chat.completions
            .create({ model: "m", messages: user(`kv ${index}`) }, { signal: controller.signal })
            .catch(() => undefined),
        );
        await expect.poll(() => metric(sim, "vllm:num_requests_waiting"), { timeout: 10_000 }).toBe(2);
        expect(await metric(sim, "vllm:num_requests_running")).toBe(2);
        controller.abort();
        await Promise.all(requests);
      },
    );
  });

  it("under saturation, throughput matches capacityTokensPerSecond (model time), and the clock is never faster", async () => {
    // All requests are queued at once, eight times the engine's slots, so it stays full without the
    // client having to keep up (a loaded machine cannot starve it). Model-time accounting is exact
    // whatever the timers do; the wall clock can only be slower than the model, so only that side is
    // bounded here. Real-time throughput is measured by bench/simulator.ts, not in a timed test.
    const speed = 20;
    await withSimulator(
      {
        speed,
        stepBaseMs: 10,
        stepPerSeqMs: 1,
        prefillPerTokenMs: 0,
        maxNumSeqs: 8,
        outputTokensMedian: 200,
        outputTokensSigma: 0,
      },
      async (sim, client) => {
        // 8 / 18 ms * 20 = 8889 tokens/s.
        expect(sim.capacityTokensPerSecond).toBeCloseTo(8888.89, 1);
        const started = performance.now();
        await Promise.all(
          Array.from({ length: 64 }, () => client.chat.completions.create({ model: "m", messages: user("go") })),
        );
        const elapsedSeconds = (performance.now() - started) / 1000;
        const stats = sim.stats();
        expect(stats.generatedTokens).toBe(64 * 200);
        // Tokens per second of model time spent in steps, in real seconds: the capacity, up to the
        // ramp at the start (requests arriving over a few steps) and the drain at the end.
        const rate = (stats.generatedTokens / stats.busySeconds) * speed;
        expect(rate / sim.capacityTokensPerSecond).toBeGreaterThan(0.85);
        expect(rate / sim.capacityTokensPerSecond).toBeLessThanOrEqual(1 + 1e-9);
        expect(elapsedSeconds).toBeGreaterThanOrEqual((stats.busySeconds / speed) * 0.95);
      },
    );
  });
});
