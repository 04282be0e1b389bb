/**
 * The pool's pure pieces: JSON-schema validation (the cases of the former subset validator), retry policy (backoff, `retry-after`), secret
 * redaction, options from the environment, cache keys and the circuit breaker's state machine.
 *
 * Where you are: `test/llm/`, mirroring `sdk/llm/json-schema-validator.ts`, `retry-policy.ts`,
 * `redact.ts`, `llm-pool-options.ts`, `response-cache.ts` and `circuit-breaker.ts`.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CircuitBreaker } from "../../sdk/llm/circuit-breaker.js";
import { llmPoolOptionsFromEnv, responseCacheKey, validateJsonSchema } from "../../sdk/llm/index.js";
import { endpointLabel, redactSecrets } from "../../sdk/llm/redact.js";
import { backoffDelay, isRetryableStatus, parseRetryAfter } from "../../sdk/llm/retry-policy.js";

describe("validateJsonSchema", () => {
  const schema = {
    type: "object",
    properties: {
      name: { type: "string", minLength: 1 },
      kind: { enum: ["a", "b"] },
      version: { const: 2 },
      score: { type: "integer", minimum: 0, maximum: 10 },
      tags: { type: "array", items: { type: "string" }, minItems: 1, maxItems: 2 },
      note: { anyOf: [{ type: "string" }, { type: "null" }] },
    },
    required: ["name", "kind"],
    additionalProperties: false,
  };

  it("accepts a matching value", () => {
    expect(validateJsonSchema(schema, { name: "x", kind: "a", version: 2, score: 3, tags: ["t"], note: null })).toEqual(
      [],
    );
  });

  it("reports each issue with its path", () => {
    const issues = validateJsonSchema(schema, {
      name: "",
      kind: "c",
      version: 3,
      score: 2.5,
      tags: [1, "a", "b"],
      note: 5,
      extra: true,
    });
    expect(issues).toEqual(
      expect.arrayContaining([
        "$.name: shorter than 1 characters",
        '$.kind: expected one of "a", "b"',
        "$.version: expected 2",
        "$.score: expected integer, got number",
        "$.tags: more than 2 items",
        "$.tags[0]: expected string, got integer",
        "$.note: does not match any of the allowed shapes",
        "$.extra: unexpected property",
      ]),
    );
    expect(validateJsonSchema(schema, { name: "x" })).toEqual(["$.kind: required property missing"]);
    expect(validateJsonSchema(schema, [])).toEqual(["$: expected object, got array"]);
  });

  it("handles what z.toJSONSchema emits (nullable, $defs refs)", () => {
    const Item = z.object({ id: z.number().int(), label: z.string().nullable() });
    const jsonSchema = z.toJSONSchema(z.object({ items: z.array(Item).min(1), main: Item })) as Record<string, unknown>;
    expect(validateJsonSchema(jsonSchema, { items: [{ id: 1, label: null }], main: { id: 2, label: "x" } })).toEqual(
      [],
    );
    expect(validateJsonSchema(jsonSchema, { items: [], main: { id: "2", label: "x" } })).toEqual([
      "$.items: fewer than 1 items",
      "$.main.id: expected integer, got string",
    ]);
  });
});

describe("retry policy", () => {
  it("retries 408/409/429/5xx and connection errors only", () => {
    expect([408, 409, 429, 500, 503, undefined].every(isRetryableStatus)).toBe(true);
    expect([400, 401, 403, 404, 422].some(isRetryableStatus)).toBe(false);
  });

  it("uses full jitter under an exponentially growing, capped ceiling", () => {
    const retry = { maxAttempts: 6, baseDelayMs: 100, maxDelayMs: 1_000, timeoutMs: 1 };
    expect(backoffDelay(1, retry, () => 0.999)).toBe(99);
    expect(backoffDelay(3, retry, () => 0.999)).toBe(399);
    expect(backoffDelay(10, retry, () => 0.999)).toBe(999);
    expect(backoffDelay(10, retry, () => 0)).toBe(0);
  });

  it("parses retry-after-ms, retry-after seconds and HTTP dates", () => {
    const headers = (entries: Record<string, string>) => new Headers(entries);
    expect(parseRetryAfter(headers({ "retry-after-ms": "250" }))).toBe(250);
    expect(parseRetryAfter(headers({ "retry-after": "2" }))).toBe(2_000);
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter(headers({ "retry-after": "Thu, 01 Jan 2026 00:00:03 GMT" }), now)).toBe(3_000);
    expect(parseRetryAfter(headers({ "retry-after": "soon" }))).toBeUndefined();
    expect(parseRetryAfter(headers({}))).toBeUndefined();
    expect(parseRetryAfter(headers({ "retry-after": "86400" }))).toBe(120_000);
  });
});

describe("redaction", () => {
  it("strips credentials from endpoint labels and secrets from text", () => {
    expect(endpointLabel("https://user:sk-abc@host:8000/v1?api_key=sk-abc")).toBe("https://host:8000/v1");
    const key = "sk-proj-abcdefghijklmnop1234";
    expect(redactSecrets(`bad key ${key} here`, [key])).toBe("bad key *** here");
    expect(redactSecrets(`Incorrect API key provided: sk-proj-abcd************1234.`, [key])).not.toContain("1234.");
  });
});

describe("llmPoolOptionsFromEnv", () => {
  it("reads one or several base URLs, the key and the default model", () => {
    expect(llmPoolOptionsFromEnv({ OPENAI_BASE_URL: "http://a/v1", OPENAI_MODEL: "m" })).toEqual({
      endpoints: [{ baseUrl: "http://a/v1" }],
      defaultModel: "m",
    });
    expect(
      llmPoolOptionsFromEnv({ OPENAI_BASE_URLS: "http://a/v1, http://b/v1", OPENAI_API_KEY: "k" }).endpoints,
    ).toEqual([
      { baseUrl: "http://a/v1", apiKey: "k" },
      { baseUrl: "http://b/v1", apiKey: "k" },
    ]);
    expect(llmPoolOptionsFromEnv({ OPENAI_API_KEY: "k" }).endpoints).toEqual([
      { baseUrl: "https://api.openai.com/v1", apiKey: "k" },
    ]);
    expect(llmPoolOptionsFromEnv({}).endpoints).toEqual([]);
  });
});

describe("responseCacheKey", () => {
  it("depends on what shapes the reply, not on routing fields or key order", () => {
    const base = { messages: [{ role: "user" as const, content: "q" }], temperature: 0 };
    const key = responseCacheKey(base, "m");
    expect(responseCacheKey({ ...base, stickyKey: "s", role: "teacher", stream: true }, "m")).toBe(key);
    expect(responseCacheKey({ temperature: 0, messages: base.messages }, "m")).toBe(key);
    expect(responseCacheKey(base, "other")).not.toBe(key);
    expect(responseCacheKey({ ...base, temperature: 1 }, "m")).not.toBe(key);
    expect(responseCacheKey({ ...base, responseSchema: { name: "x", schema: {} } }, "m")).not.toBe(key);
  });
});

describe("CircuitBreaker", () => {
  it("opens after N consecutive failures, admits one probe after the cooldown, backs off, closes on success", () => {
    const circuit = new CircuitBreaker({ failureThreshold: 2, cooldownMs: 100, maxCooldownMs: 300 });
    circuit.onFailure(0);
    expect(circuit.state).toBe("closed");
    circuit.onSuccess();
    circuit.onFailure(0);
    circuit.onFailure(0);
    expect(circuit.state).toBe("open");
    expect(circuit.canRequest(50)).toBe(false);
    expect(circuit.canRequest(100)).toBe(true);
    expect(circuit.onStart(100)).toBe(true);
    expect(circuit.canRequest(100)).toBe(false); // only one probe at a time
    circuit.onFailure(110);
    expect(circuit.availableAt(110)).toBe(310); // cooldown doubled
    expect(circuit.onStart(310)).toBe(true);
    circuit.onSuccess();
    expect(circuit.state).toBe("closed");
    expect(circuit.trips).toBe(2);
  });
});
