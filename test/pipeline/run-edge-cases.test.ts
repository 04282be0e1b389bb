/**
 * Edge cases found by trying the SDK as a new user: each once hung a run, crashed the process or
 * silently lost data.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, SourceError } from "../../sdk/errors.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import type { Task } from "../../sdk/schema/task.js";
import { readJsonl } from "../helpers/jsonl.js";
import { tempDir } from "../helpers/temp-dir.js";
import { testLogger } from "../helpers/test-logger.js";

const noop = pipeline("edge").code("a", (task) => ({ state: { seen: task.id } }));

describe("run edge cases", () => {
  it("dead-letters a row whose id repeats an earlier row's, and the run ends", async () => {
    const out = tempDir();
    const file = join(out, "in.jsonl");
    writeFileSync(file, ['{"id":"a"}', '{"id":"b"}', '{"id":"b","again":true}', '{"id":1}', '{"id":"1"}'].join("\n"));
    const summary = await noop.run({ source: { kind: "jsonl", path: file }, out }).done();
    expect(summary.counts.done).toBe(3);
    expect(summary.badRows).toBe(2);
    const dead = readJsonl<{ error: { message: string; details: { line: number } } }>(join(out, "dead-letters.jsonl"));
    expect(dead.map((record) => record.error.details.line)).toEqual([3, 5]);
    expect(dead[0]!.error.message).toContain("duplicate id 'b' (first seen at line 2)");
  });

  it("a listener that throws neither stalls nor crashes the run; the error is logged once", async () => {
    const { logger, lines } = testLogger();
    const run = noop.run({ source: Array.from({ length: 20 }, (_, i) => ({ id: `r${i}` })), logger });
    run.subscribe(() => {
      throw new Error("broken display");
    });
    expect((await run.done()).counts.done).toBe(20);
    const thrown = lines.filter((line) => line.msg === "a run listener threw and was removed");
    expect(thrown).toHaveLength(1);
    expect((thrown[0]!.err as { message: string }).message).toBe("broken display");
  });

  it("refuses bounds that would hang or silently do nothing", () => {
    const source = [{ id: "x" }];
    expect(() => noop.run({ source, maxInFlight: 0 })).toThrowError(ConfigError);
    expect(() => noop.run({ source, trials: 0 })).toThrow(/trials/);
    expect(() => noop.run({ source, rows: -1 })).toThrow(/rows/);
    expect(() => noop.run({ source, concurrency: 1.5 })).toThrow(/concurrency/);
  });

  it("when the source breaks mid-way, tasks already fed still finish and are written, then done() rejects", async () => {
    const out = tempDir();
    async function* flaky() {
      for (let i = 0; i < 5; i++) yield { id: `r${i}` };
      throw new Error("db cursor died");
    }
    const slow = pipeline("flaky").code("a", async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return { content: "ok" };
    });
    const run = slow.run({ source: flaky(), out });
    const error = await run.done().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SourceError);
    expect((error as Error).message).toBe("The source failed after 5 row(s): db cursor died");
    expect(readJsonl<Task>(join(out, "output.jsonl"))).toHaveLength(5);
    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(summary.counts.done).toBe(5);
    expect(summary.error.name).toBe("SourceError");
  });

  it("reads files that start with a byte-order mark", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "a.csv"), "\uFEFFid,text\nx1,hello\n");
    writeFileSync(join(dir, "a.jsonl"), '\uFEFF{"id":"j1","text":"hi"}\n');
    const csvRun = noop.run({ source: { kind: "csv", path: join(dir, "a.csv") } });
    await csvRun.done();
    expect(csvRun.results().map((task) => [task.id, Object.keys(task.row!)])).toEqual([["x1", ["id", "text"]]]);
    const jsonlRun = noop.run({ source: { kind: "jsonl", path: join(dir, "a.jsonl") } });
    expect((await jsonlRun.done()).counts.done).toBe(1);
  });

  it("a CSV export (BOM, CRLF, quoted newlines) dead-letters its bad rows by file and line and goes on", async () => {
    const out = tempDir();
    const file = join(out, "export.csv");
    const lines = [
      "\uFEFFid,text",
      '1,"two\r\nlines"',
      '2,"ok"stray',
      "3,fine",
      '4,"a ""quoted""\nword"',
      "5,x,extra",
      "6,last",
    ];
    writeFileSync(file, lines.join("\r\n") + "\r\n");
    const run = noop.run({ source: { kind: "csv", path: file }, out });
    const summary = await run.done();
    expect(run.results().map((task) => [task.id, task.row!.text])).toEqual([
      ["1", "two\r\nlines"],
      ["3", "fine"],
      ["4", 'a "quoted"\nword'],
      ["6", "last"],
    ]);
    expect(summary.badRows).toBe(2);
    const dead = readJsonl<{ error: { message: string; details: { file: string; line: number } } }>(
      join(out, "dead-letters.jsonl"),
    );
    expect(dead.map((record) => [record.error.details.file, record.error.details.line])).toEqual([
      [file, 4],
      [file, 8],
    ]);
    expect(dead.map((record) => record.error.message)).toEqual([
      expect.stringContaining("text after a closing quote"),
      expect.stringContaining("expected 2 fields (as in the header), found 3"),
    ]);
  });

  it("a resume does not dead-letter the same bad source row twice", async () => {
    const out = tempDir();
    const file = join(out, "in.jsonl");
    writeFileSync(file, ['{"id":"a"}', "not json", '{"id":"b"}'].join("\n"));
    await noop.run({ source: { kind: "jsonl", path: file }, out }).done();
    const resumed = await noop.run({ source: { kind: "jsonl", path: file }, out, resume: true }).done();
    expect(resumed.skipped).toBe(2);
    expect(readJsonl(join(out, "dead-letters.jsonl"))).toHaveLength(1);
  });

  it("does not retry a handler that fails with a plain bug (TypeError)", async () => {
    let calls = 0;
    const buggy = pipeline("bug").code("a", (task) => {
      (globalThis as unknown as Record<string, number>).__bugCalls =
        ((globalThis as unknown as Record<string, number>).__bugCalls ?? 0) + 1;
      return { state: { n: (task.row as unknown as { missing: { deep: number } }).missing.deep } };
    });
    (globalThis as unknown as Record<string, number>).__bugCalls = 0;
    const run = buggy.run({ source: [{ id: "x" }] });
    await run.done();
    calls = (globalThis as unknown as Record<string, number>).__bugCalls!;
    expect(calls).toBe(1);
    expect(run.results()[0]!.error?.message).toMatch(/Cannot read properties of undefined/);
  });

  it("rows() on a run that keeps no results says so instead of yielding nothing", async () => {
    const run = noop.run({ source: [{ id: "x" }], keepResults: false });
    await expect(run.rows().next()).rejects.toThrow(/keepResults/);
    await run.done();
  });

  it("creates every output file, so the summary never names a missing one", async () => {
    const out = tempDir();
    const summary = await noop.run({ source: [{ id: "x" }], out }).done();
    for (const file of Object.values(summary.files!)) expect(() => readFileSync(file!)).not.toThrow();
  });

  it("a resume reports totals across runs and refuses settings that would change ids", async () => {
    const out = tempDir();
    const rows = Array.from({ length: 10 }, (_, i) => ({ id: `r${i}` }));
    await noop.run({ source: rows, out, rows: 4 }).done();
    const resumed = await noop.run({ source: rows, out, resume: true }).done();
    expect(resumed.counts.done).toBe(6);
    expect(resumed.totals).toEqual({ done: 10, filtered: 0 });
    expect(JSON.parse(readFileSync(join(out, "summary.json"), "utf8")).totals.done).toBe(10);
    expect(() => noop.run({ source: rows, out, resume: true, trials: 2 })).toThrow(
      /cannot resume .*trials 1, this run has 2/,
    );
  });
});
