/**
 * RunMetrics folds events and progress samples; tables and the results table are views of it. Also
 * the pipeline diagram's edges, which need no kernel.
 */
import { describe, expect, it } from "vitest";
import { pipeline, resultsTable, roleLatencyTable, RunMetrics, type Task } from "../../sdk/index.js";
import { flowEdges } from "../../sdk/notebook/index.js";

function task(id: string, status: Task["status"], state: Record<string, unknown>): Task {
  return {
    id,
    runId: "r",
    rowId: id,
    trial: 0,
    seed: 0,
    row: {},
    state,
    cursor: "_sink",
    status,
    attempt: 0,
    hops: 1,
    history: [
      {
        role: "a",
        agent: "x",
        content: "hi",
        timing: { start: 0, end: 5 },
        usage: { promptTokens: 3, completionTokens: 4 },
      },
    ],
    usage: { a: { promptTokens: 3, completionTokens: 4, calls: 1 } },
    timestamps: { created: 0, finished: 10 },
  };
}

describe("RunMetrics", () => {
  it("folds hop and task events into counts, latencies and tables", async () => {
    const metrics = new RunMetrics(0);
    metrics.fold({
      type: "hop-end",
      taskId: "1",
      role: "a",
      queueMs: 2,
      handleMs: 10,
      promptTokens: 3,
      completionTokens: 4,
      next: "_sink",
      time: 1000,
    });
    metrics.fold({
      type: "hop-end",
      taskId: "2",
      role: "a",
      queueMs: 4,
      handleMs: 30,
      promptTokens: 3,
      completionTokens: 4,
      next: "_sink",
      time: 2000,
    });
    metrics.fold({ type: "task-end", task: task("1", "done", { score: 4, judge: { ok: true } }), time: 1000 });
    metrics.fold({ type: "task-end", task: task("2", "filtered", {}), time: 2000 });
    metrics.fold({ type: "task-end", task: task("2", "filtered", {}), time: 2000 }); // a duplicate is ignored
    expect(metrics.counts).toEqual({ done: 1, failed: 0, filtered: 1 });
    expect(metrics.taskTokens).toEqual([4, 4]);
    const latency = roleLatencyTable(metrics).objects()[0] as Record<string, number>;
    expect(latency).toMatchObject({ role: "a", hops: 2, handleMeanMs: 20, handleP50Ms: 20 });
  });

  it("samples progress into a time series with per-interval rates", () => {
    const metrics = new RunMetrics(0);
    const base = {
      runId: "r",
      pipeline: "p",
      failed: 0,
      filtered: 0,
      skipped: 0,
      badRows: 0,
      inFlight: 1,
      fed: 1,
      hops: 0,
      promptTokens: 0,
      elapsedMs: 0,
      rowsPerSecond: 0,
      tokensPerSecond: 0,
      finished: false,
    };
    metrics.sample({ ...base, done: 0, completionTokens: 0, queueDepth: { a: 3 } }, 0);
    const point = metrics.sample({ ...base, done: 10, completionTokens: 500, queueDepth: { a: 1 } }, 2000);
    expect(point).toMatchObject({ t: 2, rowsPerSecond: 5, tokensPerSecond: 250, queueDepth: { a: 1 } });
  });

  it("builds a results table with scalar and one-level nested state fields", () => {
    const table = resultsTable([task("1", "done", { score: 4, judge: { ok: true }, list: [1] })]);
    expect(table.columnNames()).toEqual([
      "id",
      "status",
      "reason",
      "turns",
      "tokens",
      "latencyMs",
      "score",
      "judge.ok",
    ]);
    expect(table.objects()[0]).toMatchObject({
      id: "1",
      turns: 1,
      tokens: 7,
      latencyMs: 10,
      score: 4,
      "judge.ok": true,
    });
  });

  it("attaches to a run late and backfills from finished tasks", async () => {
    const run = pipeline("m")
      .code("a", () => ({ state: { x: 1 } }))
      .run({ source: [{ id: "1" }, { id: "2" }] });
    await run.done();
    expect(RunMetrics.of(run).counts.done).toBe(2);
    expect(RunMetrics.of(run)).toBe(RunMetrics.of(run));
  });
});

describe("flowEdges", () => {
  it("draws a conversation with its after and then roles", () => {
    const p = pipeline("c")
      .code("t", () => {})
      .code("s", () => {})
      .code("x", () => {})
      .code("j", () => {})
      .conversation({ roles: ["t", "s"], after: ["x"], then: ["j"], maxTurns: 2 });
    const edges = flowEdges(p.toJSON()).map((edge) => `${edge.from}->${edge.to}`);
    expect(edges).toEqual(["source->t", "t->x", "x->s", "s->x", "x->t", "x->j", "j->sink"]);
  });
});
