/**
 * Summary metrics (`.metric(name, ...)`): folded over finished tasks, written to summary.json and
 * returned by `run.done()`, serialized with the definition, from a module too, and on resume covering
 * every task of the output directory.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { CapturedVariableError, PipelineDefinitionError } from "../../sdk/errors.js";
import { Pipeline, pipeline } from "../../sdk/pipeline/pipeline.js";
import type { RunSummary } from "../../sdk/schema/event.js";
import { tempDir } from "../helpers/temp-dir.js";

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, n: i }));

/** Odd rows are filtered, rows named in params.failIds fail, the rest are done with `state.double`. */
const base = (failIds: string[] = []) =>
  pipeline("metrics")
    .params({ failIds })
    .code("work", (task, ctx) => {
      if ((ctx.params.failIds as string[]).includes(task.rowId)) throw new TypeError(`bad row ${task.rowId}`);
      const n = task.row!.n as number;
      if (n % 2 === 1) return { end: "filtered", reason: "odd" };
      return { state: { double: n * 2 } };
    })
    .metric("outcomes", {
      initial: { done: 0, filtered: 0, failed: 0, sum: 0 },
      accumulate: (acc: { done: number; filtered: number; failed: number; sum: number }, task) => {
        acc[task.status as "done" | "filtered" | "failed"]++;
        if (task.status === "done") acc.sum += task.state.double as number;
        return acc;
      },
      result: (acc) => ({ ...acc, meanDouble: acc.done === 0 ? 0 : acc.sum / acc.done }),
    });

const readSummary = (out: string) => JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as RunSummary;

describe("summary metrics", () => {
  it("folds every finished task into summary.json and run.done()", async () => {
    const out = tempDir();
    const run = base(["r4"]).run({ source: rows(10), out });
    const summary = await run.done();
    // r0 r2 r6 r8 done (doubles 0 4 12 16), r4 failed, five odd rows filtered.
    const expected = { done: 4, filtered: 5, failed: 1, sum: 32, meanDouble: 8 };
    expect(summary.metrics).toEqual({ outcomes: expected });
    expect(summary.metricsScope).toEqual({ tasks: 10, thisRun: 10, earlierRuns: 0 });
    expect(readSummary(out).metrics).toEqual({ outcomes: expected });
    expect(run.summaryMetrics()).toEqual({ outcomes: expected });
  });

  it("travels with the definition as source text and runs the same after fromJSON", async () => {
    const json = JSON.parse(JSON.stringify(base().toJSON()));
    expect(typeof json.metrics.outcomes.accumulate.fn).toBe("string");
    const summary = await Pipeline.fromJSON(json)
      .run({ source: rows(4) })
      .done();
    expect(summary.metrics).toEqual({ outcomes: { done: 2, filtered: 2, failed: 0, sum: 4, meanDouble: 2 } });
  });

  it("refuses a metric function that captures an outer variable, and a metric naming an undeclared module", () => {
    const threshold = 3;
    expect(() =>
      pipeline("p")
        .code("a", () => ({}))
        .metric("m", { accumulate: (acc: number, task) => acc + ((task.row!.n as number) > threshold ? 1 : 0) }),
    ).toThrow(CapturedVariableError);
    expect(() =>
      pipeline("p")
        .code("a", () => ({}))
        .metric("m", { module: "stats" })
        .validate(),
    ).toThrow(/metrics\.m\.module.*'stats'/);
  });

  it("takes a module export with initial/accumulate/result (a BaseMetricsAccumulator)", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "stats.ts"),
      [
        `export const lengths = {`,
        `  initial: () => ({ count: 0, total: 0 }),`,
        `  accumulate(acc: { count: number; total: number }, task: { row: { n: number } }) {`,
        `    acc.count++;`,
        `    acc.total += task.row.n;`,
        `  },`,
        `  result: (acc: { count: number; total: number }) => ({ mean: acc.total / acc.count }),`,
        `};`,
      ].join("\n"),
    );
    const summary = await pipeline("module-metric")
      .module("stats", relative(process.cwd(), join(dir, "stats.ts")))
      .code("a", () => ({}))
      .metric("lengths", { module: "stats", export: "lengths" })
      .run({ source: rows(5) })
      .done();
    expect(summary.metrics).toEqual({ lengths: { mean: 2 } });
  });

  it("a metric that throws reports its error in place of a value; the run and other metrics go on", async () => {
    const summary = await base()
      .metric("broken", {
        accumulate: (acc: number, task) => {
          if (task.rowId === "r2") throw new Error("cannot count r2");
          return acc + 1;
        },
      })
      .run({ source: rows(6), logger: pino({ level: "silent" }) })
      .done();
    expect(summary.counts).toEqual({ done: 3, failed: 0, filtered: 3 });
    expect(summary.metrics!.broken).toBeNull();
    expect(summary.metricsErrors!.broken).toMatch(/Metric 'broken' threw in accumulate on task r2: cannot count r2/);
    expect(summary.metrics!.outcomes).toMatchObject({ done: 3, filtered: 3 });
  });

  it("on resume covers every task of the output directory, each with its latest outcome", async () => {
    const out = tempDir();
    // Run 1: 6 of 10 rows; r4 fails.
    const first = await base(["r4"])
      .run({ source: rows(10), rows: 6, out })
      .done();
    expect(first.metrics!.outcomes).toMatchObject({ done: 2, filtered: 3, failed: 1 });

    // Run 2 reads only 2 rows (both finished before): nothing new runs, r4 is not retried, yet the
    // metrics still cover the six tasks of the experiment, r4 with its dead letter.
    const second = await base(["r4"])
      .run({ source: rows(10), rows: 2, out, resume: true })
      .done();
    expect(second.counts).toEqual({ done: 0, failed: 0, filtered: 0 });
    expect(second.metrics!.outcomes).toMatchObject({ done: 2, filtered: 3, failed: 1 });
    expect(second.metricsScope).toEqual({ tasks: 6, thisRun: 0, earlierRuns: 6 });

    // Run 3, r4 fixed: r4 and r6..r9 run now; r4 counts once, as done.
    const third = await base([])
      .run({ source: rows(10), out, resume: true })
      .done();
    expect(third.counts).toEqual({ done: 3, failed: 0, filtered: 2 });
    expect(third.metrics!.outcomes).toEqual({ done: 5, filtered: 5, failed: 0, sum: 40, meanDouble: 8 });
    expect(third.metricsScope).toEqual({ tasks: 10, thisRun: 5, earlierRuns: 5 });
    expect(readSummary(out).metrics).toEqual(third.metrics);
  });

  it("rejects a module export without accumulate with a PipelineDefinitionError naming the metric", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "empty.ts"), "export const nothing = { result: () => 1 };\n");
    const run = pipeline("bad-module-metric")
      .module("empty", relative(process.cwd(), join(dir, "empty.ts")))
      .code("a", () => ({}))
      .metric("m", { module: "empty", export: "nothing" })
      .run({ source: rows(1) });
    await expect(run.done()).rejects.toThrow(PipelineDefinitionError);
    await expect(run.done()).rejects.toThrow(/metrics\.m.*no accumulate/);
  });
});
