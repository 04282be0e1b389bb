/**
 * Per-endpoint limits measured where they matter, at the server: max concurrent requests,
 * requests/min and tokens/min.
 *
 * Where you are: `test/llm/`, mirroring `sdk/llm/pool-endpoint.ts` and the limiters it holds.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createLlmPool, type LlmPool } from "../../sdk/llm/index.js";
import { ConcurrencyLimiter } from "../../sdk/llm/concurrency-limiter.js";
import { TokenBucket } from "../../sdk/llm/token-bucket.js";
import { type FakeServer, startFakeServer } from "./fake-openai-server.js";

let servers: FakeServer[] = [];
let pools: LlmPool[] = [];

afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await Promise.all(servers.map((s) => s.close()));
  pools = [];
  servers = [];
});

const ask = (content = "hi") => ({ messages: [{ role: "user" as const, content }] });

describe("endpoint limits", () => {
  it("never has more than maxConcurrent requests in flight at the server", async () => {
    const s = await startFakeServer(() => ({ delayMs: 30 }));
    servers.push(s);
    const p = createLlmPool({ endpoints: [{ baseUrl: s.baseUrl, maxConcurrent: 3 }], defaultModel: "m" });
    pools.push(p);
    const calls = Array.from({ length: 20 }, () => p.chat(ask()));
    await new Promise((resolve) => setTimeout(resolve, 10));
    const queued = p.stats().endpoints[0]!;
    expect(queued.inFlight).toBeLessThanOrEqual(3);
    expect(queued.outstanding).toBe(20);
    await Promise.all(calls);
    expect(s.requests).toHaveLength(20);
    expect(s.maxInFlight).toBe(3);
  });

  it("holds a requests/min limit over a measured window", async () => {
    const s = await startFakeServer();
    servers.push(s);
    const p = createLlmPool({ endpoints: [{ baseUrl: s.baseUrl, requestsPerMinute: 120 }], defaultModel: "m" });
    pools.push(p);
    const started = Date.now();
    const calls = Array.from({ length: 40 }, () => p.chat(ask()).catch(() => undefined));
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const elapsed = (Date.now() - started) / 1000;
    const seen = s.requests.length;
    // 120 rpm = 2/s with a one-second burst of 2: at most 2 + 2 * elapsed requests (+1 for timer rounding).
    expect(seen).toBeLessThanOrEqual(Math.floor(2 + 2 * elapsed) + 1);
    // ... and the limiter does not starve either.
    expect(seen).toBeGreaterThanOrEqual(4);
    await p.close();
    await Promise.all(calls);
  });

  it("holds a tokens/min limit using the usage the server reports", async () => {
    // Each reply reports 100 tokens; 3000 tokens/min = 50 tokens/s with a 50-token burst.
    const s = await startFakeServer(() => ({ usage: { prompt_tokens: 80, completion_tokens: 20 } }));
    servers.push(s);
    const p = createLlmPool({ endpoints: [{ baseUrl: s.baseUrl, tokensPerMinute: 3000 }], defaultModel: "m" });
    pools.push(p);
    const started = Date.now();
    const calls = Array.from({ length: 20 }, () => p.chat({ ...ask(), maxTokens: 20 }).catch(() => undefined));
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    const elapsed = (Date.now() - started) / 1000;
    const tokensServed = s.requests.length * 100;
    // Every request costs 100 real tokens; the bucket may be in debt by at most one request.
    expect(tokensServed).toBeLessThanOrEqual(50 + 50 * elapsed + 100);
    expect(s.requests.length).toBeGreaterThanOrEqual(1);
    expect(p.usage().total.promptTokens).toBe(80 * p.usage().total.calls);
    await p.close();
    await Promise.all(calls);
  });
});

describe("limiters", () => {
  it("ConcurrencyLimiter serves waiters in FIFO order and drops aborted ones", async () => {
    const limiter = new ConcurrencyLimiter(1);
    const order: number[] = [];
    const release0 = await limiter.acquire();
    const controller = new AbortController();
    const waits = [1, 2, 3].map((n) =>
      limiter.acquire(n === 2 ? controller.signal : undefined).then(
        (release) => {
          order.push(n);
          release();
        },
        () => order.push(-n),
      ),
    );
    controller.abort();
    expect(limiter.queued).toBe(2);
    release0();
    await Promise.all(waits);
    expect(order).toEqual([-2, 1, 3]);
    expect(limiter.inFlight).toBe(0);
  });

  it("TokenBucket refills over time and refunds corrections", async () => {
    let now = 0;
    const bucket = new TokenBucket(600, { now: () => now }); // 10/s, capacity 10
    await bucket.take(10);
    expect(bucket.available).toBe(0);
    now += 500;
    expect(bucket.available).toBeCloseTo(5);
    bucket.adjust(-3);
    expect(bucket.available).toBeCloseTo(8);
    bucket.adjust(20);
    expect(bucket.available).toBeCloseTo(-12);
  });
});
