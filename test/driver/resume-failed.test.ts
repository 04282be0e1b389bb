/**
 * Resuming a run whose dead letters fail again: they are fed again, fail the same way, are already in
 * the dead-letter file, and must still let the run end (they used to keep their in-flight slots).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pipeline, type Task } from "../../sdk/index.js";
import { readJsonl } from "../helpers/jsonl.js";
import { tempDir } from "../helpers/temp-dir.js";

const failsOnThree = pipeline("resume-failed")
  .code("a", (task) => {
    if (task.row!.id === "3") throw new Error("row 3 always fails");
    return { state: { ok: true } };
  })
  .options({ maxAttempts: 1 });
const rows = Array.from({ length: 10 }, (_, i) => ({ id: String(i) }));

describe("resuming a run with dead letters", () => {
  it("a dead letter that fails again ends the run; nothing is written twice", async () => {
    const out = tempDir();
    const first = await failsOnThree.run({ source: rows, out, maxInFlight: 4 }).done();
    expect(first.counts).toEqual({ done: 9, failed: 1, filtered: 0 });
    const resumed = failsOnThree.run({ source: rows, out, maxInFlight: 4, resume: true });
    await resumed.done();
    expect(resumed.progress().inFlight).toBe(0);
    expect(readJsonl<Task>(join(out, "output.jsonl")).map((task) => task.id)).toHaveLength(9);
    expect(readJsonl<Task>(join(out, "dead-letters.jsonl")).map((task) => task.id)).toEqual(["3"]);
  });
});
