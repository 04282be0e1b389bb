import * as aq from "arquero";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { PipelineDefinitionError, QualityFieldError } from "../../sdk/errors.js";
import { pipeline, Pipeline } from "../../sdk/pipeline/pipeline.js";
import { runCheck } from "../../sdk/quality/quality-check.js";
import { applyQuality, qualityColumns } from "../../sdk/quality/quality-table.js";
import { repeatedNgramRatio } from "../../sdk/quality/repetition.js";
import { valueAt } from "../../sdk/quality/text-field.js";

const english = "The library extended its opening hours during the exam period, so students can study late.";
const german = "Die Stadtbibliothek hat ihre Öffnungszeiten verlängert, damit man abends lernen kann.";
const loop = "I am sorry, I cannot help. ".repeat(12);

describe("quality checks", () => {
  it("repetition: 0 for ordinary prose, near 1 for a loop", () => {
    expect(repeatedNgramRatio(english)).toBe(0);
    expect(repeatedNgramRatio(loop)).toBeGreaterThan(0.8);
    expect(repeatedNgramRatio("too short")).toBe(0);
    expect(repeatedNgramRatio("a a a a a", 1)).toBe(0.8);
  });

  it("each check passes, or fails with its reason, and says what it measured", () => {
    expect(runCheck({ type: "language", languages: ["en"] }, english)).toMatchObject({
      pass: true,
      measures: { language: "en" },
    });
    expect(runCheck({ type: "language", languages: ["en", "fr"] }, german)).toMatchObject({
      pass: false,
      reason: "language:de",
    });
    expect(runCheck({ type: "language", languages: ["en"], minConfidence: 0.99 }, "ok go")).toMatchObject({
      pass: false,
    });
    expect(runCheck({ type: "length", min: 200 }, english)).toMatchObject({ pass: false, reason: "too-short" });
    expect(runCheck({ type: "length", max: 5, unit: "words" }, english)).toMatchObject({
      pass: false,
      reason: "too-long",
      measures: { length: 15 },
    });
    expect(runCheck({ type: "length", min: 3, max: 3 }, "日本語")).toMatchObject({ pass: true });
    expect(runCheck({ type: "repetition" }, loop)).toMatchObject({ pass: false, reason: "repetitive" });
    const schema = z.toJSONSchema(z.object({ answer: z.number() })) as Record<string, unknown>;
    expect(runCheck({ type: "schema", schema }, '```json\n{"answer": 4}\n```')).toMatchObject({ pass: true });
    expect(runCheck({ type: "schema", schema }, { answer: 4 })).toMatchObject({ pass: true });
    const bad = runCheck({ type: "schema", schema }, '{"answer": "four"}');
    expect(bad).toMatchObject({ pass: false, reason: "schema-invalid" });
    expect(String(bad.measures.schemaIssues)).toMatch(/answer/);
    expect(runCheck({ type: "schema", schema }, "not json")).toMatchObject({ pass: false, reason: "schema-invalid" });
  });

  it("field paths reach rows, state, turns by index or role", () => {
    const turn = (role: string, content: string) => ({ role, agent: "a", content, timing: { start: 0, end: 0 } });
    const task = { row: { text: "r" }, state: { a: { b: [1, 2] } }, history: [turn("x", "one"), turn("y", "two")] };
    expect(valueAt(task, "row.text")).toBe("r");
    expect(valueAt(task, "state.a.b[-1]")).toBe(2);
    expect(valueAt(task, "state.a.b.0")).toBe(1);
    expect((valueAt(task, "last") as { content: string }).content).toBe("two");
    expect((valueAt(task, "turn:x") as { content: string }).content).toBe("one");
    expect((valueAt(task, "history[-2]") as { content: string }).content).toBe("one");
    expect(valueAt(task, "turn:z")).toBeUndefined();
    expect(() => valueAt(task, "row..text")).toThrow(QualityFieldError);
  });
});

describe("quality table functions", () => {
  const table = aq.table({ id: ["a", "b", "c", "d"], text: [english, german, loop, "short"] });
  const checks = [
    { type: "length" as const, field: "text", min: 10 },
    { type: "language" as const, field: "text", languages: ["en"] },
    { type: "repetition" as const, field: "text" },
  ];

  it("qualityColumns adds the measures, a pass flag and the reason", () => {
    const scored = qualityColumns(table, checks);
    expect(scored.array("quality_pass")).toEqual([true, false, false, false]);
    expect(scored.array("quality_reason")).toEqual([null, "language:de", "repetitive", "too-short"]);
    expect(scored.array("language")).toEqual(["en", "de", "en", null]);
    expect(scored.columnNames()).toEqual(expect.arrayContaining(["length", "languageConfidence", "repetition"]));
  });

  it("applyQuality splits kept and dropped rows", () => {
    const { kept, dropped } = applyQuality(table, checks);
    expect(kept.array("id")).toEqual(["a"]);
    expect(dropped.array("reason")).toEqual(["language:de", "repetitive", "too-short"]);
  });

  it("names the field and row a check cannot find, and a malformed check", () => {
    expect(() => qualityColumns(table, { type: "length", field: "body", min: 1 })).toThrow(/Field 'body': row 0/);
    expect(() => qualityColumns(table, { type: "length", field: "text" } as never)).toThrow(/min, max or both/);
  });
});

describe("quality roles in the builder", () => {
  it("are plain JSON definitions that round-trip, with zod schemas converted", () => {
    const p = pipeline("q")
      .filterLanguage("english", { languages: ["en"], minConfidence: 0.5 })
      .filterSchema("json", { field: "last", schema: z.object({ answer: z.number() }) })
      .dedup("dedup", { field: "row.text", threshold: 0.9 });
    const json = p.toJSON();
    expect(json.roles.english).toEqual({
      kind: "quality",
      checks: [{ type: "language", languages: ["en"], minConfidence: 0.5 }],
    });
    expect(json.roles.json).toMatchObject({
      kind: "quality",
      checks: [{ type: "schema", schema: { type: "object" } }],
    });
    expect(json.roles.dedup).toEqual({ kind: "dedup", field: "row.text", threshold: 0.9 });
    expect(Pipeline.fromJSON(JSON.stringify(json)).toJSON()).toEqual(json);
  });

  it("refuse bad options where they are built, naming the role", () => {
    expect(() => pipeline("q").filterLength("len", {})).toThrow(PipelineDefinitionError);
    expect(() => pipeline("q").filterLength("len", {})).toThrow(/roles\.len.*min, max or both/);
    expect(() => pipeline("q").dedup("d", { threshold: 2 })).toThrow(/roles\.d\.threshold/);
    const json = pipeline("q").dedup("d", { field: "row.a" }).toJSON();
    (json.roles.d as { field: string }).field = "row[x]";
    expect(() => Pipeline.fromJSON(json)).toThrow(/roles\.d\.field/);
  });
});

describe("schema checks", () => {
  it("a schema that is itself invalid fails where the role is built", () => {
    expect(() =>
      pipeline("q").filterSchema("json", { schema: { name: "bad", schema: { type: "not-a-type" } } }),
    ).toThrow(/roles\.json\.checks\[0\]\.schema/);
  });
});
