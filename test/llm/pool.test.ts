/**
 * The pool's routing, retries and health against scripted fake servers on loopback.
 *
 * Where you are: `test/llm/`, mirroring `sdk/llm/llm-pool.ts`. Timing bounds are generous on purpose:
 * the CI machine has two noisy cores.
 */
import { afterEach, describe, expect, it } from "vitest";
import { LlmApiError, NoEndpointError } from "../../sdk/errors.js";
import { createLlmPool, type LlmPool } from "../../sdk/llm/index.js";
import { type FakeServer, startFakeServer } from "./fake-openai-server.js";

const servers: FakeServer[] = [];
const pools: LlmPool[] = [];

async function server(...args: Parameters<typeof startFakeServer>): Promise<FakeServer> {
  const started = await startFakeServer(...args);
  servers.push(started);
  return started;
}

function pool(options: Parameters<typeof createLlmPool>[0]): LlmPool {
  const created = createLlmPool({ defaultModel: "m", ...options });
  pools.push(created);
  return created;
}

const fastRetry = { baseDelayMs: 10, maxDelayMs: 100, timeoutMs: 5_000 };
const ask = (content = "hi") => ({ messages: [{ role: "user" as const, content }] });

afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

describe("routing", () => {
  it("spreads concurrent calls over endpoints by least outstanding requests", async () => {
    const a = await server(() => ({ delayMs: 50 }));
    const b = await server(() => ({ delayMs: 50 }));
    const c = await server(() => ({ delayMs: 50 }));
    const p = pool({ endpoints: [a, b, c].map((s) => ({ baseUrl: s.baseUrl })), retry: fastRetry });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => p.chat(ask(`q${i}`))));
    expect(results.every((r) => r.content === "ok")).toBe(true);
    // 30 simultaneous calls with equal outstanding counts: each endpoint gets exactly a third.
    expect([a, b, c].map((s) => s.requests.length)).toEqual([10, 10, 10]);
  });

  it("weights the balance by maxConcurrent when every endpoint declares it", async () => {
    const small = await server(() => ({ delayMs: 40 }));
    const large = await server(() => ({ delayMs: 40 }));
    const p = pool({
      endpoints: [
        { baseUrl: small.baseUrl, maxConcurrent: 1 },
        { baseUrl: large.baseUrl, maxConcurrent: 3 },
      ],
      retry: fastRetry,
    });
    await Promise.all(Array.from({ length: 40 }, () => p.chat(ask())));
    // Picked at once, 40 calls split 10 : 30 by relative load.
    expect([small.requests.length, large.requests.length]).toEqual([10, 30]);
    expect(small.maxInFlight).toBe(1);
    expect(large.maxInFlight).toBe(3);
  });

  it("routes by model name and fails with NoEndpointError for an unserved model", async () => {
    const small = await server(() => ({ content: "small" }));
    const large = await server(() => ({ content: "large" }));
    const p = pool({
      endpoints: [
        { baseUrl: small.baseUrl, models: ["small"] },
        { baseUrl: large.baseUrl, models: ["large"] },
      ],
    });
    expect((await p.chat({ ...ask(), model: "large" })).content).toBe("large");
    expect((await p.chat({ ...ask(), model: "small" })).content).toBe("small");
    await expect(p.chat({ ...ask(), model: "other" })).rejects.toBeInstanceOf(NoEndpointError);
    expect(large.requests[0]!.body.model).toBe("large");
  });

  it("keeps a sticky key on one endpoint and moves it when that endpoint is out", async () => {
    let failOn: string | undefined;
    const servers3 = await Promise.all([0, 1, 2].map(() => server()));
    for (const s of servers3) s.setHandler(() => (s.baseUrl === failOn ? { kind: "error", status: 503 } : {}));
    const p = pool({
      endpoints: servers3.map((s) => ({ baseUrl: s.baseUrl })),
      retry: fastRetry,
      health: { failureThreshold: 1, cooldownMs: 60_000 },
    });
    const first = await p.chat({ ...ask(), stickyKey: "conversation-7" });
    for (let i = 0; i < 10; i++) {
      expect((await p.chat({ ...ask(), stickyKey: "conversation-7" })).endpoint).toBe(first.endpoint);
    }
    // Different keys do not all land on the same replica.
    const spread = new Set<string>();
    for (let i = 0; i < 30; i++) spread.add((await p.chat({ ...ask(), stickyKey: `k${i}` })).endpoint);
    expect(spread.size).toBeGreaterThan(1);

    failOn = servers3.find((s) => first.endpoint === s.baseUrl)!.baseUrl;
    const moved = await p.chat({ ...ask(), stickyKey: "conversation-7" });
    expect(moved.endpoint).not.toBe(first.endpoint);
    expect(moved.attempts).toBe(2);
    // With the preferred replica out, the key stays on its new replica.
    for (let i = 0; i < 5; i++) {
      const again = await p.chat({ ...ask(), stickyKey: "conversation-7" });
      expect(again.endpoint).toBe(moved.endpoint);
      expect(again.attempts).toBe(1);
    }
  });

  it("shifts traffic away from a slow and a failing endpoint without losing a request", async () => {
    const healthy = await server(() => ({ delayMs: 5 }));
    const slow = await server(() => ({ delayMs: 1000 }));
    const failing = await server(() => ({ kind: "error", status: 500 }));
    const p = pool({
      endpoints: [healthy, slow, failing].map((s) => ({ baseUrl: s.baseUrl })),
      retry: fastRetry,
      health: { failureThreshold: 3, cooldownMs: 60_000 },
    });
    // 200 calls, at most 20 at a time, like an agent pool would issue them.
    const results: Awaited<ReturnType<LlmPool["chat"]>>[] = [];
    const queue = Array.from({ length: 200 }, (_, i) => i);
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        while (queue.length > 0) {
          const i = queue.shift()!;
          results.push(await p.chat(ask(`q${i}`)));
        }
      }),
    );
    expect(results).toHaveLength(200);
    expect(results.every((r) => r.content === "ok")).toBe(true);
    const stats = p.stats();
    const byLabel = Object.fromEntries(stats.endpoints.map((e) => [e.endpoint, e]));
    expect(byLabel[failing.baseUrl]!.state).toBe("open");
    expect(byLabel[failing.baseUrl]!.requests).toBeLessThanOrEqual(10);
    expect(byLabel[failing.baseUrl]!.circuitTrips).toBe(1);
    // The slow replica holds its requests ~200x longer, so it serves far fewer of them (the bound is
    // loose because on a loaded 2-core machine the fast replica slows down too).
    expect(slow.requests.length).toBeLessThan(healthy.requests.length / 2);
    expect(stats.succeeded).toBe(200);
    expect(stats.retries).toBe(byLabel[failing.baseUrl]!.errors);
  });
});

describe("retries", () => {
  it("retries a 429 after the retry-after wait and a 500 at once, to success", async () => {
    const s = await server((_, index) =>
      index === 0
        ? { kind: "error", status: 429, headers: { "retry-after": "1" } }
        : index === 1
          ? { kind: "error", status: 500 }
          : { content: "finally" },
    );
    const p = pool({ endpoints: [{ baseUrl: s.baseUrl }], retry: fastRetry });
    const result = await p.chat(ask());
    expect(result.content).toBe("finally");
    expect(result.attempts).toBe(3);
    expect(s.requests).toHaveLength(3);
    const waited = s.requests[1]!.at - s.requests[0]!.at;
    expect(waited).toBeGreaterThanOrEqual(950);
    const stats = p.stats().endpoints[0]!;
    expect(stats.rateLimited).toBe(1);
    expect(stats.errorsByKind).toEqual({ "429": 1, "500": 1 });
    expect(stats.retries).toBe(2);
  });

  it("honours retry-after-ms", async () => {
    const s = await server((_, index) =>
      index === 0 ? { kind: "error", status: 503, headers: { "retry-after-ms": "600" } } : {},
    );
    const p = pool({ endpoints: [{ baseUrl: s.baseUrl }], retry: fastRetry });
    await p.chat(ask());
    expect(s.requests[1]!.at - s.requests[0]!.at).toBeGreaterThanOrEqual(550);
  });

  it("fails at once on a 400 with LlmApiError carrying status and endpoint", async () => {
    const s = await server(() => ({ kind: "error", status: 400, message: "context length exceeded" }));
    const p = pool({ endpoints: [{ baseUrl: s.baseUrl }], retry: fastRetry });
    const error = await p.chat(ask()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmApiError);
    expect(LlmApiError.isInstance(error)).toBe(true);
    expect((error as LlmApiError).status).toBe(400);
    expect((error as LlmApiError).endpoint).toBe(s.baseUrl);
    expect((error as LlmApiError).isRetryable).toBe(false);
    expect((error as Error).message).toContain("context length exceeded");
    expect(s.requests).toHaveLength(1);
  });

  it("times out an attempt on a hung server and succeeds elsewhere", async () => {
    const hung = await server(() => ({ kind: "hang" }));
    const good = await server(() => ({ content: "from good" }));
    const p = pool({
      endpoints: [{ baseUrl: hung.baseUrl }, { baseUrl: good.baseUrl }],
      retry: { ...fastRetry, timeoutMs: 300 },
    });
    // Least outstanding with rotation: a few calls are certain to try the hung server first.
    const results = await Promise.all(Array.from({ length: 4 }, () => p.chat(ask())));
    expect(results.every((r) => r.content === "from good")).toBe(true);
    expect(hung.requests.length).toBeGreaterThan(0);
    const hungStats = p.stats().endpoints.find((e) => e.endpoint === hung.baseUrl)!;
    expect(hungStats.timeouts).toBe(hung.requests.length);
    expect(results.some((r) => r.attempts === 2 && r.latencyMs >= 250)).toBe(true);
  });

  it("times out an attempt whose reply body stalls after the headers, and aborts its request", async () => {
    const s = await server((_, index) => (index === 0 ? { kind: "stall-body" } : { content: "second" }));
    const p = pool({ endpoints: [{ baseUrl: s.baseUrl }], retry: { ...fastRetry, timeoutMs: 300 } });
    const started = Date.now();
    const result = await p.chat(ask());
    expect(result).toMatchObject({ content: "second", attempts: 2 });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(p.stats().endpoints[0]).toMatchObject({ timeouts: 1, outstanding: 0 });
  });

  it("treats a garbage 200 body as retryable", async () => {
    const s = await server((_, index) => (index === 0 ? { kind: "garbage" } : { content: "fine" }));
    const p = pool({ endpoints: [{ baseUrl: s.baseUrl }], retry: fastRetry });
    const result = await p.chat(ask());
    expect(result.content).toBe("fine");
    expect(result.attempts).toBe(2);
  });

  it("gives up after maxAttempts with the last error", async () => {
    const s = await server(() => ({ kind: "error", status: 502 }));
    const p = pool({
      endpoints: [{ baseUrl: s.baseUrl }],
      retry: { ...fastRetry, maxAttempts: 3 },
      health: { failureThreshold: 100 },
    });
    const error = await p.chat(ask()).catch((e: unknown) => e);
    expect((error as LlmApiError).status).toBe(502);
    expect(s.requests).toHaveLength(3);
  });

  it("waits for a probe when every endpoint is out, and the probe brings it back", async () => {
    let healthy = false;
    const s = await server(() => (healthy ? { content: "back" } : { kind: "error", status: 503 }));
    const p = pool({
      endpoints: [{ baseUrl: s.baseUrl }],
      retry: { ...fastRetry, maxAttempts: 6 },
      health: { failureThreshold: 2, cooldownMs: 300 },
    });
    setTimeout(() => (healthy = true), 200);
    const result = await p.chat(ask());
    expect(result.content).toBe("back");
    const stats = p.stats().endpoints[0]!;
    expect(stats.state).toBe("closed");
    expect(stats.circuitTrips).toBe(1);
  });

  it("fails with NoEndpointError when all endpoints stay out through the retry budget", async () => {
    const s = await server(() => ({ kind: "error", status: 500 }));
    const p = pool({
      endpoints: [{ baseUrl: s.baseUrl }],
      retry: { ...fastRetry, maxAttempts: 3 },
      health: { failureThreshold: 2, cooldownMs: 100 },
    });
    const error = await p.chat(ask()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoEndpointError);
    expect((error as NoEndpointError).isRetryable).toBe(true);
    expect(s.requests).toHaveLength(3);
  });

  it("aborts a waiting call with the caller's signal", async () => {
    const s = await server(() => ({ delayMs: 2_000 }));
    const p = pool({ endpoints: [{ baseUrl: s.baseUrl, maxConcurrent: 1 }], retry: fastRetry });
    const first = p.chat(ask());
    const controller = new AbortController();
    const second = p.chat({ ...ask(), signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stop")), 50);
    await expect(second).rejects.toThrow("stop");
    await first;
    expect(s.requests).toHaveLength(1);
  });

  it("aborts a call in flight with the caller's signal, and another caller's call goes on", async () => {
    const s = await server(() => ({ delayMs: 2_000 }));
    const p = pool({ endpoints: [{ baseUrl: s.baseUrl }], retry: fastRetry });
    const controller = new AbortController();
    const started = Date.now();
    const aborted = p.chat({ ...ask(), signal: controller.signal });
    const other = p.chat({ ...ask(), signal: new AbortController().signal });
    setTimeout(() => controller.abort(new Error("stop")), 50);
    await expect(aborted).rejects.toThrow("stop");
    expect(Date.now() - started).toBeLessThan(1_500);
    await expect(other).resolves.toMatchObject({ attempts: 1 });
    expect(p.stats().endpoints[0]).toMatchObject({ outstanding: 0, inFlight: 0, errors: 0 });
  });

  it("close() rejects the calls in flight with NoEndpointError", async () => {
    const s = await server(() => ({ delayMs: 2_000 }));
    const p = pool({ endpoints: [{ baseUrl: s.baseUrl }], retry: fastRetry });
    const started = Date.now();
    const calls = [p.chat(ask()), p.chat({ ...ask(), signal: new AbortController().signal })];
    await new Promise((resolve) => setTimeout(resolve, 50));
    await p.close();
    for (const call of calls) await expect(call).rejects.toBeInstanceOf(NoEndpointError);
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});
