/**
 * The README's notebook, executed as written: its ```ts notebook blocks become the cells of a
 * notebook run headless with the project kernel, so the README and what works cannot drift. It
 * checks what a newcomer sees: no errors, tables (the results and a derived arquero table) as
 * HTML, no raw object dumps on stdout, one live display holding the latest rows and plots whose
 * final values match the finished run.
 */
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireTool } from "./external-tool.js";
import {
  AWAIT_NOTEBOOK_MS,
  JUPYTER,
  JUPYTER_INSTALL,
  executeNotebook,
  outputsOf,
  text,
  writeNotebook,
  type Notebook,
  type Output,
} from "./execute-notebook.js";

const root = process.cwd();
const work = join(root, ".matrix", "readme-notebook");
const hasJupyter = requireTool(JUPYTER, JUPYTER_INSTALL);

/** The README's notebook cells, in order. */
export function readmeCells(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts notebook\n([\s\S]*?)^```$/gm)].map((match) => match[1]!.trimEnd());
}

const html = (output: Output) => text(output.data?.["text/html"]);
const plotData = (frame: string, kind: string) => {
  const match = new RegExp(
    `data-kind="${kind}"[^>]*>.*?<script type="application/json" class="matrix-plot-data">(.*?)</script>`,
  ).exec(frame);
  return match ? (JSON.parse(match[1]!) as Array<Record<string, number>>) : undefined;
};

describe("README notebook snippets", () => {
  const cells = readmeCells(readFileSync(join(root, "README.md"), "utf8"));

  it("the README has the notebook cells this test executes", () => {
    expect(cells.length).toBeGreaterThanOrEqual(6);
    expect(cells[0]).toContain('import "./sdk/notebook/index";');
    expect(cells.some((cell) => /run\.sample\(/.test(cell))).toBe(true);
  });

  describe.skipIf(!hasJupyter)("executed with the project kernel", () => {
    let notebook: Promise<Notebook>;
    beforeAll(() => {
      rmSync(work, { recursive: true, force: true });
      mkdirSync(work, { recursive: true });
      writeNotebook(join(work, "readme.ipynb"), cells);
      notebook = executeNotebook(join(work, "readme.ipynb"), join(work, "out"));
      notebook.catch(() => {});
    });
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    const cellOutputs = async (pattern: RegExp) => {
      const index = cells.findIndex((cell) => pattern.test(cell));
      expect(index).toBeGreaterThanOrEqual(0);
      return (await notebook).cells[index]!.outputs ?? [];
    };

    it(
      "runs with no stderr and no stdout longer than a few lines",
      async () => {
        const outputs = outputsOf(await notebook);
        expect(outputs.filter((o) => o.name === "stderr").map((o) => text(o.text))).toEqual([]);
        for (const stream of outputs.filter((o) => o.name === "stdout")) {
          expect(text(stream.text).trim().split("\n").length).toBeLessThanOrEqual(3);
        }
        // Nothing printed arquero's or a task's internals.
        const plain = outputs.map((o) => text(o.text) + text(o.data?.["text/plain"])).join("\n");
        expect(plain).not.toMatch(/_names|_data|_mask|history:/);
      },
      AWAIT_NOTEBOOK_MS,
    );

    it(
      "a table as a cell's value and a derived arquero table show as HTML tables",
      async () => {
        const results = (await cellOutputs(/= run\.table\(/)).filter((o) => html(o).includes('class="matrix-table"'));
        expect(results).toHaveLength(1); // shown once, though it is also the cell's value
        expect(html(results[0]!)).toContain("<th");
        expect(html(results[0]!)).toContain("judge.score");
        const derived = (await cellOutputs(/\.groupby\(/)).filter((o) => html(o).includes('class="matrix-table"'));
        expect(derived).toHaveLength(1);
        expect(html(derived[0]!)).toContain(">count<");
        expect(text(derived[0]!.data?.["text/plain"])).toMatch(/^ColumnTable \d+ rows × 2 columns/);
      },
      AWAIT_NOTEBOOK_MS,
    );

    it(
      "run.sample shows conversations once, and the pipeline as a value draws its flow",
      async () => {
        const sample = await cellOutputs(/^run\.sample\(/m);
        expect(sample.filter((o) => html(o).includes('class="matrix-sample"')).length).toBe(1);
        expect(sample.filter((o) => o.output_type === "stream")).toEqual([]);
        const pipeline = await cellOutputs(/^qa; /m);
        expect(pipeline.some((o) => html(o).includes("<svg"))).toBe(true);
      },
      AWAIT_NOTEBOOK_MS,
    );

    it(
      "the live cell holds one display: the latest rows and plots in the finished run's state",
      async () => {
        const live = (await cellOutputs(/await run\.watch\(/)).filter((o) => html(o).includes('class="matrix-live"'));
        expect(live).toHaveLength(1); // every frame after the first was an update_display_data
        const frame = html(live[0]!);
        expect(frame).toContain('data-state="finished"');
        const done = Number(/class="matrix-progress"[^>]* data-done="(\d+)"/.exec(frame)?.[1]);
        expect(done).toBe(24);
        expect(frame).toContain("latest finished rows");
        expect((frame.match(/<tr>/g) ?? []).length).toBeGreaterThan(5);
        const throughput = plotData(frame, "throughput")!;
        expect(throughput.at(-1)!.finished).toBe(done);
        expect(throughput.map((point) => point.finished)).toEqual(
          [...throughput.map((p) => p.finished)].sort((a, b) => a - b),
        );
        const queues = plotData(frame, "queues")!;
        expect(new Set(queues.map((point) => point.role))).toEqual(new Set(["teacher", "judge"]));
        expect(queues.filter((point) => point.t === throughput.at(-1)!.t).every((point) => point.depth === 0)).toBe(
          true,
        );
      },
      AWAIT_NOTEBOOK_MS,
    );

    it(
      "compare shows a summary table and the judge-score distribution",
      async () => {
        const outputs = await cellOutputs(/await run\.compare\(/);
        const summary = outputs.filter(
          (o) => html(o).includes('class="matrix-table"') && !html(o).includes("matrix-live"),
        );
        expect(summary).toHaveLength(1);
        expect(html(summary[0]!)).toContain("judge.score mean");
        const plots = outputs.filter((o) => o.data?.["application/vnd.vegalite.v5+json"]);
        expect(plots.map((o) => text(o.data?.["text/plain"]))).toEqual([
          "[plot: Finished rows over time]",
          "[plot: judge.score: distribution per run]",
        ]);
      },
      AWAIT_NOTEBOOK_MS,
    );
  });
});
