/**
 * What the pool does with a reply: structured output (valid, repaired, failed), tool calls both ways,
 * streaming (time to first token, usage), the on-disk response cache, usage accounting, and keeping the
 * API key out of errors, stats and logs.
 *
 * Where you are: `test/llm/`, mirroring `sdk/llm/llm-pool.ts`, `structured-output.ts`, `openai-wire.ts`
 * and `response-cache.ts`.
 */
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { ConfigError, LlmApiError, StructuredOutputError } from "../../sdk/errors.js";
import { createLlmPool, type LlmPool } from "../../sdk/llm/index.js";
import { type FakeServer, startFakeServer } from "./fake-openai-server.js";

let servers: FakeServer[] = [];
let pools: LlmPool[] = [];
let dirs: string[] = [];

afterEach(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await Promise.all(servers.map((s) => s.close()));
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  pools = [];
  servers = [];
  dirs = [];
});

async function setup(
  handler: Parameters<typeof startFakeServer>[0],
  options: Parameters<typeof createLlmPool>[0] = {},
) {
  const s = await startFakeServer(handler);
  servers.push(s);
  const p = createLlmPool({
    endpoints: [{ baseUrl: s.baseUrl }],
    defaultModel: "m",
    retry: { baseDelayMs: 10, maxDelayMs: 50, timeoutMs: 5_000 },
    ...options,
  });
  pools.push(p);
  return { s, p };
}

const ask = (content = "hi") => ({ messages: [{ role: "user" as const, content }] });

const answerSchema = {
  name: "answer",
  schema: {
    type: "object",
    properties: {
      answer: { type: "string" },
      confidence: { type: "number", minimum: 0, maximum: 1 },
    },
    required: ["answer", "confidence"],
    additionalProperties: false,
  },
};

describe("structured output", () => {
  it("sends response_format json_schema (strict) and returns the parsed data", async () => {
    const { s, p } = await setup(() => ({ content: '{"answer":"4","confidence":0.9}' }));
    const result = await p.chat({ ...ask("2+2?"), responseSchema: answerSchema });
    expect(result.data).toEqual({ answer: "4", confidence: 0.9 });
    expect(s.requests[0]!.body.response_format).toEqual({
      type: "json_schema",
      json_schema: { name: "answer", schema: answerSchema.schema, strict: true },
    });
  });

  it("repairs an invalid reply once, sending back the issues", async () => {
    const { s, p } = await setup((_, index) =>
      index === 0 ? { content: '{"answer":"4","confidence":7}' } : { content: '{"answer":"4","confidence":0.7}' },
    );
    const result = await p.chat({ ...ask(), responseSchema: answerSchema });
    expect(result.data).toEqual({ answer: "4", confidence: 0.7 });
    expect(result.attempts).toBe(2);
    expect(result.usage).toEqual({ promptTokens: 20, completionTokens: 10 });
    const repair = s.requests[1]!.body.messages;
    expect(repair.at(-2)).toEqual({ role: "assistant", content: '{"answer":"4","confidence":7}' });
    expect(repair.at(-1).content).toContain("$.confidence: above 1");
    expect(p.stats()).toMatchObject({ repairs: 1, repaired: 1 });
  });

  it("throws StructuredOutputError when the repair fails too", async () => {
    const { s, p } = await setup(() => ({ content: "not json" }));
    const error = await p.chat({ ...ask(), responseSchema: answerSchema }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StructuredOutputError);
    expect((error as StructuredOutputError).issues).toContain("not valid JSON");
    expect((error as StructuredOutputError).text).toBe("not json");
    expect(s.requests).toHaveLength(2);
  });
});

describe("tool calls", () => {
  it("sends tools, maps returned tool calls, and sends tool results back in wire format", async () => {
    const { s, p } = await setup((_, index) =>
      index === 0
        ? { content: null, toolCalls: [{ id: "call_1", name: "add", arguments: '{"a":2,"b":2}' }] }
        : { content: "2+2=4" },
    );
    const tools = [
      {
        name: "add",
        description: "Adds two numbers",
        parameters: { type: "object", properties: { a: { type: "number" }, b: { type: "number" } } },
      },
    ];
    const first = await p.chat({ ...ask("2+2?"), tools });
    expect(first.finishReason).toBe("tool_calls");
    expect(first.toolCalls).toEqual([
      { id: "call_1", type: "function", function: { name: "add", arguments: '{"a":2,"b":2}' } },
    ]);
    expect(s.requests[0]!.body.tools).toEqual([
      {
        type: "function",
        function: { name: "add", description: "Adds two numbers", parameters: tools[0]!.parameters },
      },
    ]);
    const second = await p.chat({
      messages: [
        { role: "user", content: "2+2?" },
        { role: "assistant", content: null, toolCalls: first.toolCalls },
        { role: "tool", content: "4", toolCallId: "call_1" },
      ],
      tools,
    });
    expect(second.content).toBe("2+2=4");
    expect(s.requests[1]!.body.messages.slice(1)).toEqual([
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "call_1", type: "function", function: { name: "add", arguments: '{"a":2,"b":2}' } }],
      },
      { role: "tool", content: "4", tool_call_id: "call_1" },
    ]);
  });

  it("assembles streamed tool-call deltas", async () => {
    const { p } = await setup(() => ({
      content: null,
      toolCalls: [
        { id: "c1", name: "search", arguments: '{"q":"matrix agents"}' },
        { id: "c2", name: "add", arguments: '{"a":1}' },
      ],
    }));
    const result = await p.chat({ ...ask(), stream: true });
    expect(result.toolCalls?.map((c) => [c.id, c.function.name, c.function.arguments])).toEqual([
      ["c1", "search", '{"q":"matrix agents"}'],
      ["c2", "add", '{"a":1}'],
    ]);
    expect(result.content).toBeNull();
  });
});

describe("streaming", () => {
  it("measures time to first token and reads usage from the last chunk", async () => {
    const { s, p } = await setup(() => ({
      content: "a streamed answer",
      delayMs: 150,
      usage: { prompt_tokens: 12, completion_tokens: 7 },
    }));
    const result = await p.chat({ ...ask(), stream: true, role: "teacher" });
    expect(result.content).toBe("a streamed answer");
    expect(result.usage).toEqual({ promptTokens: 12, completionTokens: 7 });
    expect(result.ttftMs).toBeGreaterThanOrEqual(140);
    expect(result.ttftMs!).toBeLessThanOrEqual(result.latencyMs);
    expect(s.requests[0]!.body.stream_options).toEqual({ include_usage: true });
    expect(p.stats().endpoints[0]!.ttftMs.count).toBe(1);
  });
});

describe("response cache", () => {
  it("returns a hit without a request, also from a new pool instance", async () => {
    const cacheDir = await mkdtemp(join(tmpdir(), "llm-cache-"));
    dirs.push(cacheDir);
    const { s, p } = await setup(() => ({ content: "cached answer" }), { cacheDir });
    const first = await p.chat({ ...ask("q"), temperature: 0 });
    const second = await p.chat({ ...ask("q"), temperature: 0 });
    expect(second.content).toBe("cached answer");
    expect(second.attempts).toBe(0);
    expect(s.requests).toHaveLength(1);
    expect(p.stats().cache).toMatchObject({ hits: 1, misses: 1, writes: 1 });
    // A different parameter is a different key.
    await p.chat({ ...ask("q"), temperature: 0.5 });
    expect(s.requests).toHaveLength(2);

    const fresh = createLlmPool({ endpoints: [{ baseUrl: s.baseUrl }], defaultModel: "m", cacheDir });
    pools.push(fresh);
    const third = await fresh.chat({ ...ask("q"), temperature: 0 });
    expect(third.content).toBe(first.content);
    expect(s.requests).toHaveLength(2);
    // Sharded layout, no temp files left behind.
    const shards = await readdir(cacheDir);
    expect(shards.every((name) => /^[0-9a-f]{2}$/.test(name))).toBe(true);
  });
});

describe("accounting", () => {
  it("counts usage by role, model and endpoint", async () => {
    const { s, p } = await setup((request) => ({
      usage: { prompt_tokens: request.body.model === "big" ? 100 : 10, completion_tokens: 1 },
    }));
    await p.chat({ ...ask(), role: "teacher", model: "big" });
    await p.chat({ ...ask(), role: "teacher", model: "small" });
    await p.chat({ ...ask(), role: "student", model: "small" });
    await p.chat({ ...ask(), model: "small" });
    const usage = p.usage();
    expect(usage.total).toEqual({ calls: 4, promptTokens: 130, completionTokens: 4 });
    expect(usage.byRole).toEqual({
      teacher: { calls: 2, promptTokens: 110, completionTokens: 2 },
      student: { calls: 1, promptTokens: 10, completionTokens: 1 },
      "(none)": { calls: 1, promptTokens: 10, completionTokens: 1 },
    });
    expect(usage.byModel.big).toEqual({ calls: 1, promptTokens: 100, completionTokens: 1 });
    expect(usage.byEndpoint[s.baseUrl]).toEqual(usage.total);
    const stats = p.stats().endpoints[0]!;
    expect(stats).toMatchObject({ requests: 4, successes: 4, errors: 0, promptTokens: 130 });
    expect(stats.latencyMs.count).toBe(4);
  });
});

describe("secrets", () => {
  const key = "sk-test-SECRET-0123456789abcdef";

  it("never shows the API key in errors, stats or logs", async () => {
    const lines: string[] = [];
    const logger = pino(
      { level: "debug" },
      new Writable({
        write(chunk, _encoding, callback) {
          lines.push(String(chunk));
          callback();
        },
      }),
    );
    const server = await startFakeServer((request, index) =>
      index === 0
        ? { kind: "error", status: 503 }
        : {
            kind: "error",
            status: 401,
            message: `Incorrect API key provided: ${String(request.headers.authorization).replace("Bearer ", "")}`,
          },
    );
    servers.push(server);
    const withCredentials = server.baseUrl.replace("http://", `http://user:${key}@`);
    const pool = createLlmPool({
      endpoints: [{ baseUrl: server.baseUrl, apiKey: key }],
      defaultModel: "m",
      retry: { baseDelayMs: 5, maxDelayMs: 10, timeoutMs: 2_000 },
      logger,
    });
    pools.push(pool);
    const error = await pool.chat(ask()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LlmApiError);
    expect((error as LlmApiError).status).toBe(401);
    // The server really received the key (so the test would catch a leak of it).
    expect(server.requests[1]!.headers.authorization).toBe(`Bearer ${key}`);
    const everything = [
      (error as Error).message,
      String((error as Error).stack),
      JSON.stringify(error),
      String(((error as Error).cause as Error)?.message),
      JSON.stringify(pool.stats()),
      JSON.stringify(pool.usage()),
      lines.join("\n"),
    ].join("\n");
    expect(lines.length).toBeGreaterThan(0);
    expect(everything).toContain("Incorrect API key provided");
    expect(everything).not.toContain(key);
    expect(everything).not.toContain(key.slice(0, 12));

    // A key inside the URL's user info is not shown either.
    const urlPool = createLlmPool({ endpoints: [{ baseUrl: withCredentials }], defaultModel: "m", logger });
    pools.push(urlPool);
    expect(JSON.stringify(urlPool.stats())).not.toContain(key);
    expect(urlPool.endpoints[0]).toBe(server.baseUrl);
  });
});

describe("options", () => {
  it("validates options with a ConfigError naming the path", () => {
    expect(() => createLlmPool({ endpoints: [{ baseUrl: "http://a/v1" }, { baseUrl: "not a url" }] })).toThrow(
      ConfigError,
    );
    let error: unknown;
    try {
      createLlmPool({ endpoints: [{ baseUrl: "http://a/v1", maxConcurrent: 0, apiKey: "sk-visible-key-123" }] });
    } catch (caught) {
      error = caught;
    }
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as ConfigError).option).toBe("endpoints[0].maxConcurrent");
    expect((error as Error).message).not.toContain("sk-visible-key-123");
    expect(() => createLlmPool({ retry: { maxAttempts: 1.5 }, endpoints: [{ baseUrl: "http://a/v1" }] })).toThrow(
      /retry\.maxAttempts/,
    );
  });
});
