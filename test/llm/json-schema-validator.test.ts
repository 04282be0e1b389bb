/**
 * The structured-output validator on the full JSON Schema `z.toJSONSchema` emits: patterns, formats,
 * `$defs`/`$ref` (recursive too), `allOf`, `oneOf`, tuples, records, other dialects, and the compile cache.
 *
 * Where you are: `test/llm/`, mirroring `sdk/llm/json-schema-validator.ts` (the subset cases that were
 * there before ajv stay in `pool-helpers.test.ts`).
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { z } from "zod";
import { ConfigError } from "../../sdk/errors.js";
import { validateJsonSchema } from "../../sdk/llm/index.js";
import { parseStructuredReply } from "../../sdk/llm/structured-output.js";

const toSchema = (schema: z.ZodType) => z.toJSONSchema(schema) as Record<string, unknown>;

describe("validateJsonSchema on what zod emits", () => {
  it("checks pattern and format, naming the field and what was expected", () => {
    const schema = toSchema(
      z.object({
        code: z.string().regex(/^[A-Z]{3}-\d+$/),
        email: z.email(),
        url: z.url(),
        when: z.iso.datetime(),
        id: z.uuid(),
      }),
    );
    const good = {
      code: "ABC-12",
      email: "ada@example.org",
      url: "https://example.org/a",
      when: "2025-01-02T03:04:05Z",
      id: "123e4567-e89b-42d3-a456-426614174000",
    };
    expect(validateJsonSchema(schema, good)).toEqual([]);
    const issues = validateJsonSchema(schema, { ...good, code: "abc", url: "not a url", when: "2025-13-40" });
    expect(issues).toEqual([
      "$.code: does not match the pattern ^[A-Z]{3}-\\d+$",
      "$.url: not a valid uri",
      "$.when: not a valid date-time",
    ]);
  });

  it("compiles a zod regex that is valid JavaScript but not valid with the u flag", () => {
    const schema = toSchema(z.object({ tag: z.string().regex(/^\_[a-z]+$/) }));
    expect(validateJsonSchema(schema, { tag: "_ok" })).toEqual([]);
    expect(validateJsonSchema(schema, { tag: "no" })).toEqual(["$.tag: does not match the pattern ^\\_[a-z]+$"]);
  });

  it("checks a format that has no pattern beside it (ajv-formats)", () => {
    const schema = { type: "object", properties: { day: { type: "string", format: "date" } } };
    expect(validateJsonSchema(schema, { day: "2024-02-29" })).toEqual([]);
    expect(validateJsonSchema(schema, { day: "2023-02-29" })).toEqual(["$.day: not a valid date"]);
  });

  it("follows $defs/$ref, recursive schemas included, with paths into arrays", () => {
    interface Node {
      name: string;
      children: Node[];
    }
    const Node: z.ZodType<Node> = z.object({
      name: z.string().min(1),
      get children() {
        return z.array(Node);
      },
    });
    const schema = toSchema(z.object({ root: Node }));
    expect(JSON.stringify(schema)).toContain("$ref");
    const tree = { root: { name: "a", children: [{ name: "b", children: [{ name: "", children: [] }] }] } };
    expect(validateJsonSchema(schema, tree)).toEqual([
      "$.root.children[0].children[0].name: shorter than 1 characters",
    ]);
  });

  it("applies every part of an allOf", () => {
    const schema = {
      $defs: { named: { type: "object", properties: { name: { type: "string" } }, required: ["name"] } },
      allOf: [{ $ref: "#/$defs/named" }, { type: "object", properties: { age: { type: "integer", minimum: 0 } } }],
    };
    expect(validateJsonSchema(schema, { name: "x", age: 3 })).toEqual([]);
    expect(validateJsonSchema(schema, { age: -1 })).toEqual(["$.name: required property missing", "$.age: below 0"]);
  });

  it("reports one issue for a union that matches none of its shapes, not every branch's", () => {
    const schema = toSchema(
      z.object({
        event: z.discriminatedUnion("kind", [
          z.object({ kind: z.literal("a"), x: z.number() }),
          z.object({ kind: z.literal("b"), y: z.string() }),
        ]),
      }),
    );
    expect(validateJsonSchema(schema, { event: { kind: "b", y: "ok" } })).toEqual([]);
    expect(validateJsonSchema(schema, { event: { kind: "c" } })).toEqual([
      "$.event: does not match any of the allowed shapes",
    ]);
    expect(validateJsonSchema({ oneOf: [{ type: "number" }, { type: "integer" }] }, 3)).toEqual([
      "$: matches more than one of the allowed shapes (exactly one expected)",
    ]);
  });

  it("checks tuples, records and keys that are not identifiers", () => {
    const schema = toSchema(
      z.object({ pair: z.tuple([z.string(), z.number()]), scores: z.record(z.string(), z.number()) }),
    );
    expect(validateJsonSchema(schema, { pair: ["a", 1], scores: { "x y": 1 } })).toEqual([]);
    expect(validateJsonSchema(schema, { pair: [1, 1, 1], scores: { "x y": "high" } })).toEqual([
      "$.pair: more than 2 items",
      "$.pair[0]: expected string, got integer",
      '$.scores["x y"]: expected number, got string',
    ]);
  });

  it("sums up a reply that is wrong everywhere instead of listing every issue", () => {
    const schema = toSchema(z.array(z.number()));
    const issues = validateJsonSchema(
      schema,
      Array.from({ length: 40 }, () => "x"),
    );
    expect(issues).toHaveLength(26);
    expect(issues.at(-1)).toBe("... and 15 more issues");
  });

  it("accepts draft-07 schemas and refuses unknown dialects or invalid schemas with ConfigError", () => {
    const draft7 = {
      $schema: "http://json-schema.org/draft-07/schema#",
      type: "array",
      items: [{ type: "string" }],
      additionalItems: false,
    };
    expect(validateJsonSchema(draft7, ["a"])).toEqual([]);
    expect(validateJsonSchema(draft7, ["a", "b"])).toEqual(["$: more than 1 items"]);
    expect(() => validateJsonSchema({ $schema: "http://json-schema.org/draft-04/schema#" }, {})).toThrow(ConfigError);
    expect(() => validateJsonSchema({ type: "strnig" }, "x")).toThrow(/responseSchema.*the JSON schema is invalid/);
    expect(() => validateJsonSchema({ $ref: "#/$defs/missing" }, "x")).toThrow(ConfigError);
  });

  it("ignores keywords it does not know, and schemas sharing an $id do not collide", () => {
    expect(validateJsonSchema({ type: "string", "x-vendor": true }, "a")).toEqual([]);
    expect(validateJsonSchema({ $id: "verdict", type: "string" }, "a")).toEqual([]);
    expect(validateJsonSchema({ $id: "verdict", type: "number" }, 1)).toEqual([]);
    expect(validateJsonSchema({ $id: "verdict", type: "number" }, "a")).toEqual(["$: expected number, got string"]);
  });

  it("compiles a schema once (by identity, then by content) and lets ajv forget the least recently used", () => {
    const compile = vi.spyOn(Ajv2020.prototype, "compile");
    const removeSchema = vi.spyOn(Ajv2020.prototype, "removeSchema");
    onTestFinished(() => void vi.restoreAllMocks());
    const make = (n: number) => ({ type: "object", properties: { [`field${n}`]: { type: "integer" } } });
    const MINE = 9999;
    const schema = make(MINE);
    expect(validateJsonSchema(schema, { field9999: 1 })).toEqual([]);
    expect(validateJsonSchema(schema, { field9999: "x" })).toEqual(["$.field9999: expected integer, got string"]);
    // Rebuilt per call with the same content (a role's schema converted again): still compiled once.
    expect(validateJsonSchema(make(MINE), { field9999: 2 })).toEqual([]);
    expect(compile).toHaveBeenCalledTimes(1);
    // 600 other schemas push it out of the content cache (512); ajv is told to drop each one evicted.
    for (let n = 0; n < 600; n++) validateJsonSchema(make(n), {});
    expect(compile).toHaveBeenCalledTimes(601);
    expect(removeSchema.mock.calls.length).toBeGreaterThanOrEqual(600 + 1 - 512);
    expect(validateJsonSchema(make(MINE), { field9999: 3 })).toEqual([]);
    expect(compile).toHaveBeenCalledTimes(602);
    // The original object is still known by identity.
    expect(validateJsonSchema(schema, { field9999: 4 })).toEqual([]);
    expect(compile).toHaveBeenCalledTimes(602);
  });

  it("feeds the repair request with the same issues", () => {
    const schema = toSchema(z.object({ email: z.email() }));
    const parsed = parseStructuredReply('```json\n{"email": "nope"}\n```', schema);
    expect(parsed).toEqual({
      success: false,
      issues: "$.email: not a valid email",
    });
  });
});
