import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as aq from "arquero";
import { describe, expect, it } from "vitest";
import { MemorySharedStore } from "../../sdk/bus/memory-shared-store.js";
import { QualityFieldError } from "../../sdk/errors.js";
import { DedupIndex } from "../../sdk/quality/dedup-index.js";
import { hasher } from "../../sdk/quality/hashing.js";
import { bandKeys } from "../../sdk/quality/lsh-bands.js";
import { MinHasher } from "../../sdk/quality/minhash.js";
import { dedupJsonl, dedupRecords, dedupTable } from "../../sdk/quality/dedup-records.js";
import { tempDir } from "../helpers/temp-dir.js";
import { corpus, score } from "./dedup-corpus.js";

const docs = corpus();
const readJsonl = (file: string) =>
  readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe("dedup on a corpus with known pairs", () => {
  it("finds the exact and near duplicates and keeps the hard negatives (precision and recall)", async () => {
    const { kept, duplicates, report } = await dedupRecords(docs, { field: "text", threshold: 0.8 });
    const result = score(docs, duplicates);
    console.info(
      `minhash dedup, ${docs.length} docs: precision ${result.precision.toFixed(3)}, recall ${result.recall.toFixed(3)} ` +
        `(${result.truePositives} found, ${result.falsePositives} false, ${result.missed} missed)`,
    );
    expect(result.precision).toBe(1);
    expect(result.recall).toBeGreaterThanOrEqual(0.95);
    expect(kept.length + duplicates.length).toBe(docs.length);
    expect(report).toMatchObject({ records: docs.length, duplicates: duplicates.length, missingField: [] });
    // Every hard negative (Jaccard ≈ 0.45 to its original) is kept at threshold 0.8.
    expect(kept.filter((d) => d.kind === "distinct")).toHaveLength(20);
    const exact = duplicates.find((d) => d.id === "e0")!;
    expect(exact).toMatchObject({ duplicateOf: "o0", similarity: 1 });
  });

  it("exact mode finds only the normalised-identical copies", async () => {
    const { duplicates } = await dedupRecords(docs, { field: "text", method: "exact" });
    const result = score(docs, duplicates);
    console.info(`exact dedup: precision ${result.precision.toFixed(3)}, ${result.truePositives} found`);
    expect(result.precision).toBe(1);
    expect(duplicates.map((d) => d.id).sort()).toEqual(
      docs
        .filter((d) => d.kind === "exact")
        .map((d) => d.id)
        .sort(),
    );
  });

  it("a lower threshold catches the hard negatives too", async () => {
    const { duplicates } = await dedupRecords(docs, { field: "text", threshold: 0.3 });
    expect(duplicates.filter((d) => d.id.startsWith("d")).length).toBeGreaterThanOrEqual(18);
  });

  it("drops what is already in a reference dataset", async () => {
    const reference = docs.filter((d) => ["o1", "o4"].includes(d.id));
    const input = docs.filter((d) => d.of === "o1" || d.of === "o4" || d.id === "o2");
    const { kept, duplicates } = await dedupRecords(input, { field: "text", reference });
    expect(kept.map((d) => d.id).sort()).toEqual(
      ["o2", ...input.filter((d) => d.kind === "distinct").map((d) => d.id)].sort(),
    );
    expect(duplicates.every((d) => d.reference === true && ["o1", "o4"].includes(d.duplicateOf))).toBe(true);
  });
});

describe("dedup over files and tables", () => {
  it("dedupJsonl writes deduped.jsonl (kept lines unchanged) and duplicates.jsonl; the input is untouched", async () => {
    const dir = tempDir();
    const records = docs.slice(0, 70).map((d) => ({ id: d.id, row: { text: d.text }, history: [] }));
    const input = records.map((r) => JSON.stringify(r)).join("\n") + "\nnot json\n";
    writeFileSync(join(dir, "output.jsonl"), input);
    const report = await dedupJsonl(dir, { field: "row.text" });
    expect(readFileSync(join(dir, "output.jsonl"), "utf8")).toBe(input);
    const kept = readJsonl(join(dir, "deduped.jsonl"));
    const duplicates = readJsonl(join(dir, "duplicates.jsonl"));
    expect(kept.length + duplicates.length).toBe(70);
    expect(duplicates.map((d) => d.id)).toEqual(["e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9"]);
    expect(duplicates[0]).toMatchObject({ duplicateOf: "o0", similarity: 1, line: 61 });
    expect(report).toMatchObject({ records: 70, kept: 60, duplicates: 10, badLines: [{ line: 71 }] });
    expect(report.files!.kept).toBe(join(dir, "deduped.jsonl"));
  });

  it("fails with the field path when no record has the field, and keeps records that lack it", async () => {
    await expect(dedupRecords([{ id: "a", text: "x" }], { field: "row.txt" })).rejects.toThrow(QualityFieldError);
    await expect(dedupRecords([{ id: "a", text: "x" }], { field: "row.txt" })).rejects.toThrow(/row\.txt/);
    const { kept, report } = await dedupRecords(
      [{ id: "a", text: "same words here" }, { id: "b" }, { id: "c", text: "same words here" }],
      { field: "text" },
    );
    expect(kept.map((r) => r.id)).toEqual(["a", "b"]);
    expect(report.missingField).toEqual(["b"]);
  });

  it("dedupTable keeps rows of an arquero table, respecting its filter, and lists duplicates", async () => {
    const table = aq
      .from(docs.slice(0, 70).map((d) => ({ id: d.id, text: d.text, n: d.text.length })))
      .filter((row: { id: string }) => row.id !== "o3");
    const { kept, duplicates } = await dedupTable(table, { field: "text" });
    // e3 duplicated o3, which the filter removed: so e3 is now the first of its group.
    expect(kept.numRows()).toBe(60);
    expect(kept.array("id")).toContain("e3");
    expect(duplicates.numRows()).toBe(9);
    expect(duplicates.columnNames()).toEqual(["id", "duplicateOf", "similarity", "reference"]);
  });

  it("names records without an id by position and dedups the last turn by default", async () => {
    const task = (text: string) => ({
      history: [{ role: "a", agent: "x", content: text, timing: { start: 0, end: 0 } }],
    });
    const { duplicates } = await dedupRecords([task("one two three four"), task("one two three four")]);
    expect(duplicates).toEqual([{ id: "#2", duplicateOf: "#1", similarity: 1 }]);
  });
});

describe("DedupIndex under concurrent checks", () => {
  it("keeps exactly one of each group when all checks interleave (many at once on one store)", async () => {
    const store = new MemorySharedStore();
    const index = await DedupIndex.create(store, { threshold: 0.8 });
    const verdicts = await Promise.all(docs.map(async (d) => ({ doc: d, verdict: await index.check(d.id, d.text) })));
    const keptPerGroup = new Map<string, number>();
    for (const { doc, verdict } of verdicts) {
      if (doc.kind === "distinct") {
        expect(verdict.duplicateOf, doc.id).toBeUndefined();
        continue;
      }
      const group = doc.of ?? doc.id;
      if (verdict.duplicateOf === undefined) keptPerGroup.set(group, (keptPerGroup.get(group) ?? 0) + 1);
    }
    expect(keptPerGroup.size).toBe(60);
    expect([...keptPerGroup.values()].every((n) => n === 1)).toBe(true);
  });

  it("decides for a later similar text whose worker died mid-decision, and that text adopts it on redelivery", async () => {
    const store = new MemorySharedStore();
    let bCrashed!: () => void;
    const crashed = new Promise<void>((resolve) => (bCrashed = resolve));
    // A takes its ticket first, then stalls until B has registered in every band and died before deciding.
    const stallingStore: typeof store = Object.create(store);
    stallingStore.create = async (key, value) => {
      const revision = await store.create(key, value);
      if (key.startsWith("s.")) await crashed;
      return revision;
    };
    const dyingStore: typeof store = Object.create(store);
    dyingStore.create = async (key, value) => {
      if (key.startsWith("d.")) {
        bCrashed();
        throw new Error("worker killed");
      }
      return store.create(key, value);
    };
    const a = await DedupIndex.create(stallingStore, { waitMs: 50 });
    const b = await DedupIndex.create(dyingStore, { waitMs: 50 });
    const near = docs.find((d) => d.id === "n0")!;
    const original = docs.find((d) => d.id === near.of)!;
    const first = a.check("A", original.text);
    await expect(b.check("B", near.text)).rejects.toThrow("worker killed");
    expect(await first).toEqual({});
    // A waited for B's decision, then wrote it: B is A's duplicate.
    const bKey = `d.${(await hasher()).h64ToString("B")}`;
    expect(store.getNow(bKey)?.value).toMatchObject({ duplicateOf: "A" });
    // Redelivered to a healthy worker, B finds the decision A made for it.
    const healthy = await DedupIndex.create(store);
    expect(await healthy.check("B", near.text)).toMatchObject({ duplicateOf: "A" });
  });

  it("keeps exact copies out of the band lists: a reply repeated 200 times costs one entry per band", async () => {
    const store = new MemorySharedStore();
    const index = await DedupIndex.create(store, { threshold: 0.8 });
    const original = docs.find((d) => d.id === "o1")!;
    const near = docs.find((d) => d.kind === "near" && d.of === "o1")!;
    const verdicts = await Promise.all(
      Array.from({ length: 200 }, (_, i) => index.check(`c${i}`, i % 2 ? original.text.toUpperCase() : original.text)),
    );
    const kept = verdicts.flatMap((verdict, i) => (verdict.duplicateOf === undefined ? [`c${i}`] : []));
    expect(kept).toHaveLength(1);
    expect(verdicts.filter((v) => v.duplicateOf === kept[0] && v.similarity === 1)).toHaveLength(199);
    // The near copy still finds the kept one through the bands.
    expect(await index.check("near", near.text)).toMatchObject({ duplicateOf: kept[0] });
    const minhash = await MinHasher.create();
    const bands = bandKeys(minhash.signature(original.text)!, index.settings.banding, await hasher());
    for (const band of bands) {
      const ids = store.getNow<string[]>(`b.${band}`)!.value;
      expect(ids.filter((id) => id !== "near")).toEqual(kept);
    }
  });

  it("answers a repeated check of the same id the same way (a redelivered task)", async () => {
    const index = await DedupIndex.create(new MemorySharedStore());
    expect(await index.check("a", docs[0]!.text)).toEqual({});
    const again = await index.check("b", docs[0]!.text);
    expect(again.duplicateOf).toBe("a");
    expect(await index.check("a", docs[0]!.text)).toEqual({});
    expect(await index.check("b", docs[0]!.text)).toEqual(again);
  });
});
