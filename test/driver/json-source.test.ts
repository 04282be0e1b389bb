/**
 * JSON-array sources (`{ kind: "json", path }`): the format of tau2's tasks.json. Each element is a
 * row; an element that is not an object, or a file that is not an array, is an error item naming the
 * file (and the element), which the driver dead-letters while the run goes on.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openSource, type SourceItem } from "../../sdk/driver/source.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { tempDir } from "../helpers/temp-dir.js";

async function items(path: string): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const item of openSource({ kind: "json", path })) out.push(item);
  return out;
}

describe("JSON-array sources", () => {
  it("yields each object, and an error item for an element that is not one", async () => {
    const dir = tempDir();
    const file = join(dir, "tasks.json");
    writeFileSync(file, JSON.stringify([{ id: "a" }, 7, { id: "b" }]));
    const read = await items(file);
    expect(read.map((item) => (item.kind === "row" ? item.row.id : item.error.message))).toEqual([
      "a",
      `${file}: element 1 is not an object`,
      "b",
    ]);
  });

  it("names a file that is not an array, or not JSON", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "object.json"), '{"id": 1}');
    writeFileSync(join(dir, "broken.json"), "[{");
    expect((await items(join(dir, "object.json")))[0]).toMatchObject({
      kind: "error",
      error: { message: expect.stringContaining("holds an array of rows, found object") },
    });
    expect((await items(join(dir, "broken.json")))[0]).toMatchObject({
      kind: "error",
      error: { message: expect.stringContaining("not valid JSON") },
    });
  });

  it("feeds a pipeline; the bad element is counted and the run goes on", async () => {
    const dir = tempDir();
    const file = join(dir, "rows.json");
    writeFileSync(file, JSON.stringify([{ id: "1", n: 2 }, "oops", { id: "2", n: 3 }]));
    const run = pipeline("json")
      .source({ kind: "json", path: file })
      .code("double", (task) => ({ state: { twice: (task.row!.n as number) * 2 } }))
      .run();
    const summary = await run.done();
    expect(summary.counts.done).toBe(2);
    expect(summary.badRows).toBe(1);
    expect(
      run
        .results()
        .map((task) => task.state.twice)
        .sort(),
    ).toEqual([4, 6]);
  });
});
