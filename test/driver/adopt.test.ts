/**
 * The driver adopting a run (unit level, local bus): items before the checkpoint position and tasks
 * already queued are not fed again, neither are tasks the earlier driver wrote (done or dead-lettered);
 * a task the earlier driver fed that reaches the sink is written once, a duplicate of a written one
 * is not; the run ends only when the run's queues are drained; checkpoints come between items and
 * once with `done` at the end.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createLocalBus } from "../../sdk/bus/local-bus.js";
import { drive } from "../../sdk/driver/driver.js";
import { createTask } from "../../sdk/driver/task-factory.js";
import { Run } from "../../sdk/driver/run.js";
import { SINK, type Task } from "../../sdk/schema/task.js";
import { JsonlSink } from "../../sdk/sink/jsonl-sink.js";
import { readJsonl } from "../helpers/jsonl.js";
import { tempDir } from "../helpers/temp-dir.js";

const rows = Array.from({ length: 10 }, (_, i) => ({ id: `r${i}`, n: i }));
const task = (id: string, status: Task["status"] = "done") => ({
  ...createTask({ runId: "run", rowId: id, row: { id }, trial: 0, trials: 1, seed: 0, cursor: SINK }),
  status,
});

describe("drive() adopting a run", () => {
  it("feeds only what the earlier driver never fed, writes each id once, and waits for the queues to drain", async () => {
    const out = tempDir();
    // The earlier driver wrote r8 (done) and dead-lettered r9.
    writeFileSync(join(out, "output.jsonl"), `${JSON.stringify(task("r8"))}\n`);
    writeFileSync(join(out, "dead-letters.jsonl"), `${JSON.stringify(task("r9", "failed"))}\n`);
    const bus = createLocalBus();
    const fed: string[] = [];
    // The entry role finishes each task at once.
    bus.consume(
      "a",
      async (delivery) => {
        fed.push(delivery.task.id);
        await bus.publish(SINK, { ...delivery.task, status: "done", cursor: SINK });
        await delivery.ack();
      },
      { concurrency: 4 },
    );
    let drained = false;
    const checkpoints: Array<{ position: number; done: boolean }> = [];
    const run = new Run({ runId: "run", pipeline: "p" }, async (control) => {
      const driving = drive(
        {
          bus,
          runId: "run",
          pipeline: "p",
          entry: "a",
          source: rows,
          trials: 1,
          seed: 0,
          idField: "id",
          maxInFlight: 2,
          sink: new JsonlSink(out),
          resume: true,
          adopt: { position: 4, queued: new Set(["r6"]), drained: async () => drained },
          checkpoint: async (feed) => void checkpoints.push(feed),
          checkpointMs: 0,
        },
        control,
      );
      // What the earlier driver fed arrives now: r2 (in flight at its death), r6 (queued), and r8 again.
      for (const id of ["r2", "r6", "r8"]) await bus.publish(SINK, task(id));
      drained = true;
      return (await driving).summary;
    });
    const summary = await run.done();
    expect(fed.sort()).toEqual(["r4", "r5", "r7"]);
    const written = readJsonl<Task>(join(out, "output.jsonl")).map((t) => t.id);
    expect(written.sort()).toEqual(["r2", "r4", "r5", "r6", "r7", "r8"]);
    expect(summary.counts.done).toBe(5);
    expect(checkpoints.at(-1)).toEqual({ position: 10, done: true });
    expect(checkpoints.filter((c) => !c.done).map((c) => c.position)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it("without `adopt`, the run ends when its own tasks are done (a plain resume retries dead letters)", async () => {
    const out = tempDir();
    writeFileSync(join(out, "dead-letters.jsonl"), `${JSON.stringify(task("r9", "failed"))}\n`);
    const bus = createLocalBus();
    const fed: string[] = [];
    bus.consume(
      "a",
      async (delivery) => {
        fed.push(delivery.task.id);
        await bus.publish(SINK, { ...delivery.task, status: "done", cursor: SINK });
        await delivery.ack();
      },
      { concurrency: 4 },
    );
    const run = new Run(
      { runId: "run", pipeline: "p" },
      async (control) =>
        (
          await drive(
            {
              bus,
              runId: "run",
              pipeline: "p",
              entry: "a",
              source: rows,
              trials: 1,
              seed: 0,
              idField: "id",
              maxInFlight: 3,
              sink: new JsonlSink(out),
              resume: true,
            },
            control,
          )
        ).summary,
    );
    expect((await run.done()).counts.done).toBe(10);
    expect(fed).toContain("r9");
  });
});
