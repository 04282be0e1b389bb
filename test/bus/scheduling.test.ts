/**
 * Scheduling modes (bus/scheduling.ts): the same pipeline gives the same records under `row`, `batch`
 * and `central`; `batch` holds every row of a batch at a role until the whole batch is done there;
 * `central` drives tasks under one global limit, ignoring per-role concurrency.
 */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../sdk/errors.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import type { Task } from "../../sdk/schema/task.js";

/** Three roles; `slow` rows sleep in the first; odd rows are filtered at the second. */
const staged = pipeline("staged")
  .code("first", async (task) => {
    const start = performance.now();
    await new Promise((resolve) => setTimeout(resolve, task.row!.slow ? 300 : 1));
    return { state: { firstStart: start, firstEnd: performance.now() } };
  })
  .filter("keepEven", (task) => Number(task.row!.n) % 2 === 0)
  .code("last", (task) => ({ state: { lastStart: performance.now(), doubled: Number(task.row!.n) * 2 } }));

const rows = (count: number) => Array.from({ length: count }, (_, n) => ({ id: `r${n}`, n, slow: n === 0 }));

const byId = (tasks: readonly Task[]) =>
  Object.fromEntries(tasks.map((task) => [task.id, { status: task.status, doubled: task.state.doubled }]));

describe("scheduling modes", () => {
  it("row, batch and central produce the same records, each id once", async () => {
    const results: Record<string, unknown>[] = [];
    for (const scheduling of ["row", "batch", "central"] as const) {
      const run = staged.run({ source: rows(40), scheduling, batchSize: 8, concurrency: 16, maxInFlight: 16 });
      const summary = await run.done();
      expect(summary.counts, scheduling).toEqual({ done: 20, failed: 0, filtered: 20 });
      expect(new Set(run.results().map((task) => task.id)).size).toBe(40);
      results.push(byId(run.results()));
    }
    expect(results[1]).toEqual(results[0]);
    expect(results[2]).toEqual(results[0]);
  });

  it("batch: no row of a batch starts the next role before the batch's slowest row is done", async () => {
    // One batch of six rows: row 0 sleeps 300 ms in `first`, the others 1 ms.
    const batch = staged.run({ source: rows(6), scheduling: "batch", batchSize: 6, concurrency: 6, maxInFlight: 6 });
    await batch.done();
    const tasks = batch.results();
    const lastFirstEnd = Math.max(...tasks.map((task) => task.state.firstEnd as number));
    for (const task of tasks.filter((t) => t.state.lastStart !== undefined))
      expect(task.state.lastStart as number).toBeGreaterThanOrEqual(lastFirstEnd);
    // Row by row, the fast rows go on while row 0 still sleeps.
    const row = staged.run({ source: rows(6), concurrency: 6, maxInFlight: 6 });
    await row.done();
    const rowTasks = row.results();
    const slowEnd = rowTasks.find((task) => task.id === "r0")!.state.firstEnd as number;
    const early = rowTasks.filter((task) => task.id !== "r0" && (task.state.lastStart as number) < slowEnd);
    expect(early.length).toBeGreaterThan(0);
  });

  it("central: one limit for every task, per-role concurrency does not apply", async () => {
    const overlap = (tasks: readonly Task[]) => {
      const edges = tasks.flatMap((task) => [
        [task.state.firstStart as number, 1],
        [task.state.firstEnd as number, -1],
      ]);
      edges.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
      let open = 0;
      let most = 0;
      for (const [, step] of edges) most = Math.max(most, (open += step!));
      return most;
    };
    const slowRows = Array.from({ length: 8 }, (_, n) => ({ id: `s${n}`, n, slow: true }));
    const central = staged.run({ source: slowRows, scheduling: "central", concurrency: 1, maxInFlight: 4 });
    await central.done();
    expect(overlap(central.results())).toBe(4);
    const row = staged.run({ source: slowRows, concurrency: 1, maxInFlight: 4 });
    await row.done();
    expect(overlap(row.results())).toBe(1);
  });

  it("names a scheduling mode it does not know, and refuses a comparison mode on NATS", () => {
    expect(() => staged.run({ source: rows(1), scheduling: "bulk" as "row" })).toThrow(ConfigError);
    expect(() => staged.run({ source: rows(1), scheduling: "batch", bus: "nats" })).toThrow(/scheduling/);
  });
});
