/**
 * Per-task trace: with `trace: true` every hop records its queue wait, handling time, LLM time and
 * the task's size on arrival in the task, and `run.trace(id)` shows that timeline as a vega-lite plot.
 */
import { describe, expect, it } from "vitest";
import { pipeline, traceTable } from "../../sdk/index.js";
import { setDisplayTarget, traceSpec, type MimeBundle } from "../../sdk/notebook/index.js";
import { FakeLlm } from "../helpers/fake-llm.js";

const traced = pipeline("traced")
  .code("prepare", (task) => ({ state: { text: `about ${task.row!.topic}` } }))
  .chat("write", { prompt: "Write {{state.text}}." })
  .code("count", (task) => ({ content: `words: ${(task.history.at(-1)?.content ?? "").split(" ").length}` }))
  .sequence("prepare", "write", "count");
const slowLlm = () =>
  new FakeLlm(async () => (await new Promise((resolve) => setTimeout(resolve, 20)), { content: "x ".repeat(200) }));

describe("per-task trace", () => {
  it("records each hop's waits, LLM time and size, and draws the timeline", async () => {
    const run = traced.run({
      source: [
        { id: "t1", topic: "tides" },
        { id: "t2", topic: "moons" },
      ],
      llm: slowLlm(),
      trace: true,
    });
    await run.done();
    const task = run.results().find((candidate) => candidate.id === "t1")!;
    const hops = task.trace!;
    expect(hops.map((hop) => hop.role)).toEqual(["prepare", "write", "count"]);
    expect(hops.map((hop) => hop.agent)).toEqual(["local/prepare", "local/write", "local/count"]);
    const [prepare, write, count] = hops;
    expect(write!.llmCalls).toBe(1);
    expect(write!.llmMs).toBeGreaterThanOrEqual(15);
    expect(write!.llmMs).toBeLessThanOrEqual(write!.handleMs + 1);
    expect(prepare!.llmCalls).toBe(0);
    // The task grows as it goes: the reply (400 characters) arrives at `count` with it.
    expect(count!.bytes).toBeGreaterThan(write!.bytes + 400);
    for (const hop of hops) expect(hop.queueMs).toBeGreaterThanOrEqual(0);
    expect(write!.start).toBeGreaterThanOrEqual(prepare!.start + prepare!.handleMs);

    const table = traceTable(task);
    expect(table.numRows()).toBe(3);
    expect(table.columnNames()).toContain("llmMs");
    const spec = traceSpec(task) as { data: { values: Array<{ phase: string }> } };
    expect(spec.data.values.filter((value) => value.phase === "LLM")).toHaveLength(1);
    expect(spec.data.values).toHaveLength(7);

    const shown: MimeBundle[] = [];
    setDisplayTarget({ publish: (bundle) => void shown.push(bundle) });
    try {
      await run.trace("t1");
    } finally {
      setDisplayTarget(undefined);
    }
    expect(Object.keys(shown[0]!)).toEqual(expect.arrayContaining(["text/html"]));
    expect(String(shown[0]!["text/html"])).toContain("svg");
  });

  it("says how to get a trace when the run did not record one", async () => {
    const run = traced.run({ source: [{ id: "u", topic: "x" }], llm: slowLlm() });
    await run.done();
    expect(run.results()[0]!.trace).toBeUndefined();
    await expect(run.trace("u")).rejects.toThrow(/trace: true/);
    await expect(run.trace("nope")).rejects.toThrow(/no finished task 'nope'/);
  });
});
