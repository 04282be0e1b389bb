/**
 * Values in cells: arquero tables (derived and grouped ones too), runs, results and pipelines have a
 * rich display (`Symbol.for("Jupyter.display")`) and print as one short line (util.inspect, what
 * tslab uses); values a cell already showed are marked so the kernel does not show them twice.
 */
import * as aq from "arquero";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { pipeline } from "../../sdk/index.js";
import { JUPYTER_DISPLAY, markShown, setDisplayTarget, type MimeBundle } from "../../sdk/notebook/index.js";

const display = (value: unknown) => (value as Record<symbol, () => MimeBundle>)[JUPYTER_DISPLAY]!.call(value);
const CELL = Symbol.for("matrix-ts.notebook-cell");
afterEach(() => {
  setDisplayTarget(undefined);
  delete (globalThis as Record<symbol, unknown>)[CELL];
});

const p = pipeline("values")
  .code("a", (task) => ({ state: { score: String(task.id).length, judge: { score: 3, reason: "ok" } } }))
  .code("b", () => undefined);

describe("rich display of values", () => {
  it("any arquero table, derived and grouped ones included", () => {
    const table = aq.from([
      { status: "done", n: 1 },
      { status: "failed", n: 2 },
      { status: "done", n: 3 },
    ]);
    const derived = table
      .filter((d: { n: number }) => d.n > 1)
      .groupby("status")
      .count();
    expect(inspect(derived)).toBe("ColumnTable 2 rows × 2 columns: status, count");
    expect(inspect(table.groupby("status"))).toBe("ColumnTable 3 rows × 2 columns grouped by status: status, n");
    expect(inspect({ nested: derived })).toBe("{ nested: ColumnTable 2 rows × 2 columns: status, count }");
    const bundle = display(derived);
    expect(String(bundle["text/html"])).toMatch(/<th[^>]*>count<\/th>/);
    expect(bundle["text/plain"]).toBe(inspect(derived));
  });

  it("a run, its results and a pipeline", async () => {
    setDisplayTarget({ publish: () => {} });
    const run = p.run({ source: [{ id: "x" }, { id: "yy" }] });
    await run.done();
    expect(inspect(run)).toMatch(/^Run values finished: done 2 · failed 0/);
    expect(inspect(run).split("\n")).toHaveLength(1);
    expect(String(display(run)["text/html"])).toContain('class="matrix-progress"');
    expect(String(display(run)["text/html"])).toContain("latest finished rows");
    expect(inspect(run.results())).toBe("[2 tasks: done 2]");
    expect(String(display(run.results())["text/html"])).toContain("judge.score");
    expect(JSON.parse(JSON.stringify(run.results())).length).toBe(2); // plain data underneath
    expect(inspect(p)).toBe("Pipeline values: a (code), b (code) · sequence flow");
    expect(String(display(p)["text/html"])).toContain("<svg");
  });

  it("run.sample and run.table show once: as the cell's value they are marked as shown", async () => {
    const shown: MimeBundle[] = [];
    setDisplayTarget({ publish: (bundle) => shown.push(bundle) });
    const cell = { shown: new WeakSet<object>() };
    (globalThis as Record<symbol, unknown>)[CELL] = cell;
    const run = p.run({ source: [{ id: "x" }, { id: "yy" }] });
    await run.done();
    const sample = run.sample(1);
    const table = run.table();
    expect(shown).toHaveLength(2);
    expect(cell.shown.has(sample)).toBe(true);
    expect(cell.shown.has(table)).toBe(true);
    expect(inspect(sample)).toBe("[1 tasks: done 1]");
    expect(String(display(sample)["text/html"])).toContain('class="matrix-sample"');
    expect(cell.shown.has(table.filter(() => true))).toBe(false); // a new (derived) table is shown
    expect(markShown(5)).toBe(5);
  });
});
