import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import type { Task } from "../../sdk/schema/task.js";
import { readJsonl } from "../helpers/jsonl.js";
import { tempDir } from "../helpers/temp-dir.js";
import { corpus } from "./dedup-corpus.js";

const docs = corpus({ originals: 20, exact: 10, near: 10, distinct: 5 });

/** A "writer" that returns the row's text as its turn, then the quality roles a dataset team would chain. */
const cleaned = pipeline("cleaned")
  .code("write", (task) => ({ content: task.row!.text as string }))
  .filterLength("long-enough", { min: 20 })
  .filterRepetition("not-looping", { maxRatio: 0.3 })
  .dedup("dedup", { threshold: 0.8 })
  .sequence("write", "long-enough", "not-looping", "dedup");

describe("quality and dedup roles on the local bus", () => {
  it("end tasks as filtered with each role's reason and keep one of each duplicate group", async () => {
    const out = tempDir();
    const rows = [
      ...docs.map((d) => ({ id: d.id, text: d.text })),
      { id: "tiny", text: "hi" },
      { id: "loop", text: "I am sorry, I cannot help with that. ".repeat(10) },
    ];
    const summary = await cleaned.run({ source: rows, out, concurrency: 8 }).done();
    const filtered = readJsonl<Task>(join(out, "filtered.jsonl"));
    const reasons = Object.fromEntries(filtered.map((t) => [t.id, t.reason]));
    expect(reasons.tiny).toBe("too-short");
    expect(reasons.loop).toBe("repetitive");
    const duplicates = filtered.filter((t) => t.reason === "duplicate");
    expect(duplicates).toHaveLength(20);
    for (const task of duplicates) expect(task.state.dedup).toMatchObject({ duplicateOf: expect.any(String) });
    // Concurrent hops (concurrency 8) still keep exactly one of each group of original + copies.
    const kept = readJsonl<Task>(join(out, "output.jsonl"));
    const group = (id: string) => docs.find((d) => d.id === id)?.of ?? id;
    const keptGroups = kept.filter((t) => !t.id.startsWith("d")).map((t) => group(t.id));
    expect(new Set(keptGroups).size).toBe(keptGroups.length);
    expect(keptGroups).toHaveLength(20);
    expect(summary.counts).toEqual({ done: 25, failed: 0, filtered: 22 });
    // The measures are on every task that reached the role, kept or not.
    expect(kept[0]!.state["long-enough"]).toMatchObject({ length: expect.any(Number) });
  });

  it("dead-letters a task whose field is missing, naming the role and the field, and the run goes on", async () => {
    const out = tempDir();
    const p = pipeline("missing")
      .code("write", (task) => (task.row!.text ? { content: task.row!.text as string } : {}))
      .filterLanguage("english", { languages: ["en"], field: "turn:write" })
      .sequence("write", "english");
    const summary = await p
      .run({
        source: [
          { id: "a", text: "The bus to the coast leaves at seven every morning." },
          { id: "b" },
          { id: "c", text: "Der Zug nach Hamburg fällt heute leider aus." },
        ],
        out,
      })
      .done();
    expect(summary.counts).toEqual({ done: 1, failed: 1, filtered: 1 });
    const [dead] = readJsonl<{ id: string; error: { role: string; message: string; details: { field: string } } }>(
      join(out, "dead-letters.jsonl"),
    );
    expect(dead).toMatchObject({ id: "b", error: { role: "english", details: { field: "turn:write" } } });
    expect(dead!.error.message).toMatch(/no turn by role 'write'/);
    expect(readJsonl<Task>(join(out, "filtered.jsonl"))[0]).toMatchObject({ id: "c", reason: "language:de" });
  });
});
