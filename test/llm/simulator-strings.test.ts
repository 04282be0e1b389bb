/**
 * The simulator's strings follow the schema the way a strict-mode server's guided decoding does: every
 * string format zod emits, custom patterns (lookarounds included) and length bounds. Structured replies are
 * validated by ajv, which checks formats and patterns, so a judge whose schema has a regex or an email must
 * still finish offline on the first try. Checked against both validators: ajv on the JSON Schema, and zod
 * on its own schema (jwt and emoji, which ajv does not know, too). Then a run over HTTP.
 *
 * Where you are: `test/llm/`, mirroring `sdk/llm/simulator/string-sample.ts`.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { validateJsonSchema } from "../../sdk/llm/json-schema-validator.js";
import { sampleJsonSchema } from "../../sdk/llm/simulator/json-schema-sample.js";
import { Random } from "../../sdk/llm/simulator/random.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";

const STRINGS: Record<string, z.ZodType> = {
  email: z.email(),
  url: z.url(),
  httpUrl: z.httpUrl(),
  uuid: z.uuid(),
  uuidv7: z.uuidv7(),
  guid: z.guid(),
  datetime: z.iso.datetime(),
  datetimeWithOffset: z.iso.datetime({ offset: true }),
  date: z.iso.date(),
  time: z.iso.time(),
  duration: z.iso.duration(),
  ipv4: z.ipv4(),
  ipv6: z.ipv6(),
  cidrv4: z.cidrv4(),
  cidrv6: z.cidrv6(),
  base64: z.base64(),
  base64url: z.base64url(),
  e164: z.e164(),
  jwt: z.jwt(),
  emoji: z.emoji(),
  nanoid: z.nanoid(),
  cuid: z.cuid(),
  cuid2: z.cuid2(),
  ulid: z.ulid(),
  hostname: z.hostname(),
  hex: z.hex(),
  code: z.string().regex(/^[A-Z]{3}-\d+$/),
  bounded: z
    .string()
    .regex(/^[a-z]+$/)
    .min(5)
    .max(8),
  lookahead: z.string().regex(/^(?!ab)[a-c]{2}$/),
  startsWith: z.string().startsWith("ab"),
  endsWith: z.string().endsWith(".txt"),
  lowercase: z.string().lowercase(),
};

const sample = (schema: Record<string, unknown>, seed: number) => sampleJsonSchema(schema, new Random(seed));

describe("simulated strings", () => {
  it.each(Object.entries(STRINGS))("%s: every sample passes ajv and zod", (_, type) => {
    const schema = z.toJSONSchema(type) as Record<string, unknown>;
    const values = Array.from({ length: 40 }, (_, seed) => sample(schema, seed));
    for (const value of values) {
      expect(validateJsonSchema(schema, value), String(value)).toEqual([]);
      expect(type.safeParse(value).success, String(value)).toBe(true);
    }
    // Sampled, not one constant; and a seed fixes the value.
    expect(new Set(values).size).toBeGreaterThan(1);
    expect(sample(schema, 7)).toBe(values[7]);
  });

  it("a pattern it cannot follow gives words, never a throw", () => {
    const schema = { type: "string", pattern: "^\\p{Lu}{3}$" };
    const value = sample(schema, 1);
    expect(typeof value).toBe("string");
    expect(sample({ type: "string", pattern: "([" }, 1)).toEqual(expect.any(String));
  });

  it("a judge whose schema has patterns and formats finishes offline on the first try (HTTP simulator)", async () => {
    const Card = z.object({
      code: z.string().regex(/^[A-Z]{3}-\d+$/),
      contact: z.email(),
      id: z.uuid(),
      when: z.iso.datetime(),
      site: z.url(),
    });
    const run = pipeline("cards")
      .judge("card", { prompt: "Make a card for {{row.id}}.", schema: Card })
      .run({ source: Array.from({ length: 20 }, (_, i) => ({ id: `r${i}` })) });
    const summary = await run.done();
    expect(summary.counts).toEqual({ done: 20, failed: 0, filtered: 0 });
    for (const task of run.results()) {
      expect(Card.parse(task.state.card)).toEqual(task.state.card);
      // One model call per task: no repair was needed.
      expect(task.usage.card!.calls).toBe(1);
    }
  });
});
