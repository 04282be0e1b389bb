/**
 * `compare(runA, runB)`: the summary table's measures match each run, score fields are found in
 * both runs' state (a judge's `score` as `judge.score`), the plots are the finished-rows timeline
 * and one distribution per score, and two runs cannot share a label.
 */
import { afterEach, describe, expect, it } from "vitest";
import { pipeline } from "../../sdk/index.js";
import { ConfigError } from "../../sdk/errors.js";
import { compare, comparison, setDisplayTarget, type MimeBundle } from "../../sdk/notebook/index.js";

afterEach(() => setDisplayTarget(undefined));

const scored = (offset: number) =>
  pipeline("scored")
    .params({ offset })
    .code("judge", (task, ctx) => ({
      state: { judge: { score: (Number(String(task.id).slice(1)) % 3) + (ctx.params.offset as number), reason: "r" } },
    }));
const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}` }));

describe("compare", () => {
  it("tabulates both runs' measures and score means, with the change", async () => {
    const a = scored(1).run({ source: rows(9) });
    const b = scored(2).run({ source: rows(6) });
    const result = await comparison(a, b, { labels: ["before", "after"] });
    expect(result.fields).toEqual(["judge.score"]);
    const measure = (name: string) =>
      result.summary.objects().find((row) => (row as { measure: string }).measure === name) as Record<string, unknown>;
    expect(measure("done")).toMatchObject({ before: 9, after: 6, change: "-3 (-33%)" });
    expect(measure("judge.score mean")).toMatchObject({ before: 2, after: 3, change: "+1 (+50%)" });
    expect(measure("judge.score median")).toMatchObject({ before: 2, after: 3 });
    expect(result.scores.numRows()).toBe(15);
  });

  it("shows the table and the plots once, and refuses equal labels", async () => {
    const shown: MimeBundle[] = [];
    setDisplayTarget({ publish: (bundle) => shown.push(bundle) });
    const a = scored(1).run({ source: rows(4) });
    const b = scored(1).run({ source: rows(4) });
    await expect(compare(a, b, { labels: ["x", "x"] })).rejects.toBeInstanceOf(ConfigError);
    const result = await a.compare(b);
    expect(result.labels).toEqual(["A: scored", "B: scored"]);
    expect(shown.map((bundle) => String(bundle["text/plain"]))).toEqual([
      expect.stringMatching(/^ColumnTable \d+ rows × 4 columns: measure, A: scored, B: scored, change$/),
      "[plot: Finished rows over time]",
      "[plot: judge.score: distribution per run]",
    ]);
    expect(shown[2]!["application/vnd.vegalite.v5+json"]).toMatchObject({ encoding: { xOffset: { field: "run" } } });
  });
});
