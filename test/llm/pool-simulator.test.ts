/**
 * The pool against three real simulators (sdk/llm/simulator): a fast one, a slow one and one that always
 * fails, plus injected faults through the simulator's `x-sim-fault` header, streaming and structured output.
 *
 * Where you are: `test/llm/`, the integration test of `sdk/llm/llm-pool.ts` with the project's own server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLlmPool, type LlmPool } from "../../sdk/llm/index.js";
import { type SimulatorHandle, startSimulator } from "../../sdk/llm/simulator/index.js";

let fast: SimulatorHandle;
let slow: SimulatorHandle;
let failing: SimulatorHandle;
const pools: LlmPool[] = [];

beforeAll(async () => {
  fast = await startSimulator({ profile: "tiny-test", speed: 20, seed: 1 });
  slow = await startSimulator({ profile: "tiny-test", speed: 1, seed: 2 });
  failing = await startSimulator({ profile: "tiny-test", speed: 20, seed: 3, faults: { serverError: 1 } });
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await Promise.all([fast, slow, failing].map((s) => s?.close()));
});

function pool(options: Parameters<typeof createLlmPool>[0]): LlmPool {
  const created = createLlmPool({
    defaultModel: "sim-tiny",
    retry: { baseDelayMs: 10, maxDelayMs: 100, timeoutMs: 20_000 },
    ...options,
  });
  pools.push(created);
  return created;
}

describe("pool over simulators", () => {
  it("serves every call while one replica is slow and one always fails", async () => {
    const p = pool({
      endpoints: [fast, slow, failing].map((s) => ({ baseUrl: s.baseUrl })),
      health: { failureThreshold: 3, cooldownMs: 60_000 },
    });
    const queue = Array.from({ length: 60 }, (_, i) => i);
    const results: Awaited<ReturnType<LlmPool["chat"]>>[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        while (queue.length > 0) {
          const i = queue.shift()!;
          results.push(
            await p.chat({ messages: [{ role: "user", content: `Question ${i}?` }], maxTokens: 16, role: "asker" }),
          );
        }
      }),
    );
    expect(results).toHaveLength(60);
    expect(results.every((r) => typeof r.content === "string" && r.content.length > 0)).toBe(true);
    const stats = Object.fromEntries(p.stats().endpoints.map((e) => [e.endpoint, e]));
    expect(stats[failing.baseUrl]!.state).toBe("open");
    expect(stats[failing.baseUrl]!.successes).toBe(0);
    expect(stats[slow.baseUrl]!.successes).toBeLessThan(stats[fast.baseUrl]!.successes);
    expect(results.filter((r) => r.endpoint === fast.baseUrl).length).toBe(stats[fast.baseUrl]!.successes);
    // Usage comes from the simulator's `usage` field.
    expect(p.usage().byRole.asker!.calls).toBe(60);
    expect(p.usage().total.completionTokens).toBeGreaterThan(0);
  });

  it("retries injected 429s (x-sim-fault) on another replica and pauses the limited one", async () => {
    const p = pool({
      endpoints: [{ baseUrl: fast.baseUrl, headers: { "x-sim-fault": "429" } }, { baseUrl: slow.baseUrl }],
    });
    const results = await Promise.all(
      Array.from({ length: 4 }, (_, i) => p.chat({ messages: [{ role: "user", content: `q${i}` }], maxTokens: 4 })),
    );
    expect(results.every((r) => r.endpoint === slow.baseUrl)).toBe(true);
    const limited = p.stats().endpoints[0]!;
    expect(limited.rateLimited).toBeGreaterThan(0);
    expect(limited.state).toBe("closed"); // a 429 is not a health failure
  });

  it("streams with time to first token and returns schema-valid structured output", async () => {
    const p = pool({ endpoints: [{ baseUrl: fast.baseUrl }] });
    const result = await p.chat({
      messages: [{ role: "user", content: "Give a verdict." }],
      stream: true,
      responseSchema: {
        name: "verdict",
        schema: {
          type: "object",
          properties: { verdict: { enum: ["pass", "fail"] }, score: { type: "integer", minimum: 1, maximum: 5 } },
          required: ["verdict", "score"],
          additionalProperties: false,
        },
      },
    });
    expect(result.ttftMs).toBeGreaterThan(0);
    expect(result.usage.completionTokens).toBeGreaterThan(0);
    expect(["pass", "fail"]).toContain((result.data as { verdict: string }).verdict);
  });

  it.each(["500", "truncated-stream", "drop", "hang"])(
    "moves a streamed call to a healthy replica when one injects '%s'",
    async (fault) => {
      const p = pool({
        endpoints: [{ baseUrl: fast.baseUrl, headers: { "x-sim-fault": fault } }, { baseUrl: slow.baseUrl }],
        retry: { baseDelayMs: 10, maxDelayMs: 50, timeoutMs: 1_500 },
      });
      const results = await Promise.all(
        Array.from({ length: 3 }, (_, i) =>
          p.chat({ messages: [{ role: "user", content: `fault ${i}` }], maxTokens: 8, stream: true }),
        ),
      );
      expect(results.every((r) => r.endpoint === slow.baseUrl && r.finishReason !== undefined)).toBe(true);
      const faulty = p.stats().endpoints[0]!;
      expect(faulty.successes).toBe(0);
      expect(faulty.errors).toBeGreaterThan(0);
    },
  );

  it("turns JSON the simulator always breaks into StructuredOutputError after one repair", async () => {
    const p = pool({ endpoints: [{ baseUrl: fast.baseUrl }] });
    const schema = {
      name: "pick",
      schema: {
        type: "object",
        properties: { choice: { enum: ["A", "B"] } },
        required: ["choice"],
        additionalProperties: false,
      },
    };
    // The fault header is per endpoint, so every reply of this pool (the repair included) is broken JSON.
    const broken = pool({ endpoints: [{ baseUrl: fast.baseUrl, headers: { "x-sim-fault": "malformed-json" } }] });
    const error = await broken
      .chat({ messages: [{ role: "user", content: "A or B?" }], responseSchema: schema })
      .catch((e: unknown) => e);
    expect((error as Error).name).toBe("StructuredOutputError");
    expect(broken.stats()).toMatchObject({ repairs: 1, repaired: 0 });
    const ok = await p.chat({ messages: [{ role: "user", content: "A or B?" }], responseSchema: schema });
    expect(["A", "B"]).toContain((ok.data as { choice: string }).choice);
  });
});
