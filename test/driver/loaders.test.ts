/**
 * Loaders for real data formats, proved on the shipped samples: MMLU-Pro records (JSONL and Parquet;
 * options list → choices keyed A…) and DCLM web records (plain JSONL and `.zst`). A record that does
 * not fit is a SourceRowError naming file and line (or row), dead-lettered while the run goes on; a
 * broken file is a SourceError naming it.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as aq from "arquero";
import * as parquet from "parquet-wasm/node";
import { describe, expect, it } from "vitest";
import { fileSource, openSource, type SourceItem } from "../../sdk/driver/source.js";
import { SourceError, SourceRowError } from "../../sdk/errors.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { readJsonl } from "../helpers/jsonl.js";
import { tempDir } from "../helpers/temp-dir.js";
import { zstdRawFrame } from "../helpers/zstd-raw.js";

const CORAL = "datasets/coral/questions.jsonl";
const CORAL_PARQUET = "datasets/coral/questions-sample.parquet";
const PASSAGES = "datasets/natural-reasoning/passages.jsonl";

async function collect(source: Parameters<typeof openSource>[0]): Promise<SourceItem[]> {
  const items: SourceItem[] = [];
  for await (const item of openSource(source)) items.push(item);
  return items;
}
const rowsOf = (items: SourceItem[]) => items.flatMap((item) => (item.kind === "row" ? [item.row] : []));
const errorsOf = (items: SourceItem[]) => items.flatMap((item) => (item.kind === "error" ? [item.error] : []));

function mmluRecord(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    question_id: 1,
    question: "Which is prime?",
    options: ["4", "6", "7", "9"],
    answer: "C",
    answer_index: 2,
    category: "math",
    ...overrides,
  };
}

describe("MMLU-Pro loader", () => {
  it("reads the shipped JSONL: options become choices keyed A…, ids are question ids, keys agree", async () => {
    const raw = readJsonl<{ question_id: number; options: string[]; answer: string; answer_index: number }>(CORAL);
    const rows = rowsOf(await collect(fileSource(CORAL, "mmlu-pro")));
    expect(rows.length).toBe(raw.length);
    expect(rows.length).toBeGreaterThanOrEqual(300);
    for (const [index, row] of rows.entries()) {
      const record = raw[index]!;
      const choices = row.choices as Record<string, string>;
      expect(row.id).toBe(String(record.question_id));
      expect(Object.keys(choices)).toEqual("ABCDEFGHIJ".slice(0, record.options.length).split(""));
      expect(Object.values(choices)).toEqual(record.options);
      expect(choices[row.answer as string]).toBe(record.options[record.answer_index]);
      expect(row).not.toHaveProperty("options");
    }
    // Every one of MMLU-Pro's 14 categories is present.
    expect(new Set(rows.map((row) => row.category)).size).toBe(14);
  });

  it("reads the shipped Parquet sample (options as a list column) into the same rows as its JSONL", async () => {
    const fromParquet = rowsOf(await collect(fileSource(CORAL_PARQUET, "mmlu-pro")));
    const fromJsonl = rowsOf(await collect(fileSource(CORAL, "mmlu-pro")));
    expect(fromParquet.length).toBe(64);
    expect(fromParquet).toEqual(fromJsonl.slice(0, 64));
  });

  it("dead-letters records that do not fit, naming file, line and field; the rest load", async () => {
    const dir = tempDir();
    const file = join(dir, "mmlu.jsonl");
    const lines = [
      mmluRecord({ question_id: 1 }),
      mmluRecord({ question_id: 2, answer: "E", answer_index: undefined }),
      mmluRecord({ question_id: 3, answer_index: 1 }),
      mmluRecord({ question_id: 4, options: ["only one"] }),
      mmluRecord({ question_id: 5, question: "  " }),
      mmluRecord({ question_id: 6, answer: undefined, answer_index: 3 }),
      mmluRecord({ question_id: 7, answer: undefined, answer_index: undefined }),
    ].map((record) => JSON.stringify(record));
    writeFileSync(file, `${lines.join("\n")}\n{not json\n`);
    const items = await collect(fileSource(file, "mmlu-pro"));
    expect(rowsOf(items).map((row) => [row.id, row.answer])).toEqual([
      ["1", "C"],
      ["6", "D"],
    ]);
    const errors = errorsOf(items);
    expect(errors.every((error) => error instanceof SourceRowError && error.file === file)).toBe(true);
    expect(errors.map((error) => [error.line, error.message.replace(`${file}:`, "")])).toEqual([
      [2, "line 2: mmlu-pro record: answer 'E' names no option (4 options, A–D)"],
      [3, "line 3: mmlu-pro record: answer 'C' and answer_index 1 (B) disagree"],
      [4, "line 4: mmlu-pro record: options: a question needs at least two options"],
      [5, "line 5: mmlu-pro record: question: the question is empty"],
      [7, "line 7: mmlu-pro record: the record has neither answer nor answer_index"],
      [8, expect.stringMatching(/^line 8: not valid JSON/)],
    ]);
  });

  it("names the row of a bad record in a Parquet file", async () => {
    const dir = tempDir();
    const file = join(dir, "bad.parquet");
    const table = aq.table({
      question_id: [1, 2, 3],
      question: ["Q1", "Q2", "Q3"],
      options: [
        ["a", "b"],
        ["a", "b", "c"],
        ["a", "b"],
      ],
      answer: ["A", "Z", "B"],
    });
    const ipc = aq.toArrowIPC(table, { format: "stream" }) as Uint8Array;
    writeFileSync(file, parquet.writeParquet(parquet.Table.fromIPCStream(ipc)));
    const items = await collect(fileSource(file, "mmlu-pro"));
    expect(rowsOf(items).map((row) => row.id)).toEqual(["1", "3"]);
    const [error] = errorsOf(items);
    expect(error!.message).toBe(`${file}:row 2: mmlu-pro record: answer 'Z' names no option (3 options, A–C)`);
    expect(error!.row).toBe(2);
  });

  it("a file that is not Parquet is a SourceError naming it", async () => {
    await expect(collect({ kind: "parquet", path: CORAL })).rejects.toThrow(SourceError);
    await expect(collect({ kind: "parquet", path: CORAL })).rejects.toThrow(
      /questions\.jsonl is not a readable Parquet file/,
    );
  });
});

describe("DCLM loader", () => {
  it("reads the shipped JSONL and .zst samples to the same rows, ids from WARC-Record-ID", async () => {
    const plain = rowsOf(await collect(fileSource(PASSAGES, "dclm")));
    const zst = rowsOf(await collect(fileSource(`${PASSAGES}.zst`, "dclm")));
    expect(plain.length).toBeGreaterThanOrEqual(250);
    expect(zst).toEqual(plain);
    for (const row of plain) {
      expect(row.id).toBe((row.metadata as Record<string, string>)["WARC-Record-ID"]);
      expect(row.id).toMatch(/^<urn:uuid:[0-9a-f-]{36}>$/);
      expect(typeof row.text).toBe("string");
    }
    // The compressed file really is compressed (not stored blocks).
    expect(readFileSync(`${PASSAGES}.zst`).length).toBeLessThan(readFileSync(PASSAGES).length / 3);
  });

  it("reads a .zst of several frames and names the line of a bad record in it", async () => {
    const dir = tempDir();
    const file = join(dir, "shard.jsonl.zst");
    const count = readFileSync(PASSAGES, "utf8").trim().split("\n").length;
    const extra = [
      JSON.stringify({ text: "A short page.", url: "https://a.example/", metadata: { "WARC-Record-ID": "<urn:x>" } }),
      JSON.stringify({ url: "https://b.example/" }),
      JSON.stringify({ text: "   ", url: "https://c.example/" }),
    ].join("\n");
    writeFileSync(file, Buffer.concat([readFileSync(`${PASSAGES}.zst`), zstdRawFrame(`${extra}\n`)]));
    const items = await collect(fileSource(file, "dclm"));
    const rows = rowsOf(items);
    expect(rows.length).toBe(count + 1);
    expect(rows.at(-1)!.id).toBe("<urn:x>");
    expect(errorsOf(items).map((error) => [error.line, error.message.split(": ").slice(1).join(": ")])).toEqual([
      [count + 2, "dclm record: text: Invalid input: expected string, received undefined"],
      [count + 3, "dclm record: text: the page text is empty"],
    ]);
  });

  it("a truncated .zst is a SourceError naming the file and the last line read", async () => {
    const dir = tempDir();
    const file = join(dir, "cut.jsonl.zst");
    const bytes = readFileSync(`${PASSAGES}.zst`);
    writeFileSync(file, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const failure = collect(fileSource(file, "dclm"));
    await expect(failure).rejects.toThrow(SourceError);
    await expect(collect(fileSource(file, "dclm"))).rejects.toThrow(
      /cut\.jsonl\.zst is not a readable zstd stream after line \d+/,
    );
  });

  it("a run over a .zst with bad records dead-letters them with their line and finishes the rest", async () => {
    const dir = tempDir();
    const file = join(dir, "pages.jsonl.zst");
    const good = (i: number) =>
      JSON.stringify({
        text: `page ${i}`,
        url: `https://p.example/${i}`,
        metadata: { "WARC-Record-ID": `<urn:p${i}>` },
      });
    const lines = [good(1), JSON.stringify({ url: "no text" }), good(2), "{oops", good(3)];
    writeFileSync(file, zstdRawFrame(`${lines.join("\n")}\n`));
    const out = join(dir, "out");
    const summary = await pipeline("pages")
      .source(file, { format: "dclm" })
      .code("length", (task) => ({ state: { length: (task.row!.text as string).length } }))
      .run({ out })
      .done();
    expect(summary.counts).toEqual({ done: 3, failed: 0, filtered: 0 });
    expect(summary.badRows).toBe(2);
    expect(
      readJsonl(join(out, "output.jsonl"))
        .map((task) => task.id)
        .sort(),
    ).toEqual(["<urn:p1>", "<urn:p2>", "<urn:p3>"]);
    const dead = readJsonl<{
      kind: string;
      error: { name: string; message: string; details: { file: string; line: number } };
    }>(join(out, "dead-letters.jsonl"));
    expect(dead.map((record) => [record.kind, record.error.name, record.error.details.line])).toEqual([
      ["bad-row", "SourceRowError", 2],
      ["bad-row", "SourceRowError", 4],
    ]);
    expect(dead[0]!.error.details.file).toBe(file);
  });
});

describe("file sources by extension", () => {
  it("infers the kind and keeps the format", () => {
    expect(fileSource("a/b.jsonl.zst", "dclm")).toEqual({ kind: "jsonl", path: "a/b.jsonl.zst", format: "dclm" });
    expect(fileSource("x.parquet", "mmlu-pro")).toEqual({ kind: "parquet", path: "x.parquet", format: "mmlu-pro" });
    expect(fileSource("x.csv")).toEqual({ kind: "csv", path: "x.csv" });
    expect(fileSource("x.json.gz")).toEqual({ kind: "jsonl", path: "x.json.gz" });
    expect(() => fileSource("x.csv", "dclm")).toThrow(/applies to JSONL and Parquet files, not CSV/);
  });

  it("reads gzip JSONL too", async () => {
    const dir = tempDir();
    const file = join(dir, "rows.jsonl.gz");
    const { gzipSync } = await import("node:zlib");
    writeFileSync(file, gzipSync('{"id":"a"}\n{"id":"b"}\n'));
    expect(rowsOf(await collect(fileSource(file))).map((row) => row.id)).toEqual(["a", "b"]);
  });
});
