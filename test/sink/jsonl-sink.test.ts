import { appendFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createTask } from "../../sdk/driver/task-factory.js";
import { JsonlSink, readIds } from "../../sdk/sink/jsonl-sink.js";
import { readJsonl } from "../helpers/jsonl.js";
import { tempDir } from "../helpers/temp-dir.js";

const task = (id: string, status: "done" | "failed" | "filtered" = "done") => ({
  ...createTask({ runId: "r", rowId: id, row: { id }, trial: 0, trials: 1, seed: 0, cursor: "_sink" }),
  status,
});

describe("JSONL sink", () => {
  it("writes exactly one line per task id even when a task is delivered twice", async () => {
    const sink = new JsonlSink(tempDir());
    expect(await sink.write(task("a"))).toBe(true);
    expect(await sink.write(task("a"))).toBe(false);
    await Promise.all(Array.from({ length: 50 }, (_, i) => sink.write(task(`b${i % 10}`))));
    await sink.close();
    const ids = readJsonl<{ id: string }>(sink.files.output).map((record) => record.id);
    expect(ids.sort()).toEqual(["a", ...Array.from({ length: 10 }, (_, i) => `b${i}`)].sort());
  });

  it("routes by status and remembers finished ids across instances (resume)", async () => {
    const dir = tempDir();
    const first = new JsonlSink(dir);
    await first.write(task("done1"));
    await first.write(task("filtered1", "filtered"));
    await first.write(task("failed1", "failed"));
    await first.close();
    expect(readJsonl(first.files.filtered)).toHaveLength(1);
    expect(readJsonl(first.files.deadLetters)).toHaveLength(1);
    const second = new JsonlSink(dir);
    const finished = await second.finishedIds();
    expect([...finished].sort()).toEqual(["done1", "filtered1"]);
    expect(await second.write(task("done1"))).toBe(false);
    expect(await second.write(task("failed1"))).toBe(true);
    await second.close();
  });

  it("ignores a line torn by a crash when reading ids", async () => {
    const dir = tempDir();
    const sink = new JsonlSink(dir);
    await sink.write(task("whole"));
    await sink.close();
    appendFileSync(sink.files.output, '{"id":"torn","row":{');
    expect([...(await readIds(sink.files.output))]).toEqual(["whole"]);
  });
});

describe("JsonlSink after a crash mid-write", () => {
  it("drops a torn last line on resume, so the next record starts on a line of its own", async () => {
    const out = tempDir();
    const whole = JSON.stringify({ id: "a", status: "done" });
    writeFileSync(join(out, "output.jsonl"), `${whole}\n{"id":"b","sta`);
    const sink = new JsonlSink(out);
    expect([...(await sink.finishedIds())]).toEqual(["a"]);
    await sink.write(task("b"));
    await sink.close();
    expect(
      readFileSync(join(out, "output.jsonl"), "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l).id),
    ).toEqual(["a", "b"]);
  });
});
