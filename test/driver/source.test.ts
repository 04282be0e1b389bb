/**
 * In-memory sources: arrays, sync and async iterables of rows, each row numbered, and a value that is
 * not an object an error item naming its position.
 *
 * Where you are: `test/driver/`, mirroring `sdk/driver/source.ts` (files have their own tests).
 */
import { describe, expect, it } from "vitest";
import { openSource, type SourceItem } from "../../sdk/driver/source.js";
import type { Row } from "../../sdk/driver/source.js";

async function items(source: Parameters<typeof openSource>[0]): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const item of openSource(source)) out.push(item);
  return out;
}

const summary = (list: SourceItem[]) =>
  list.map((item) => (item.kind === "row" ? { index: item.index, row: item.row } : { error: item.error.message }));

describe("in-memory sources", () => {
  it("numbers the rows of an array and turns a value that is not an object into an error item", async () => {
    const rows = [{ id: "a" }, 7, { id: "b" }, null, ["x"]] as unknown as Row[];
    expect(summary(await items(rows))).toEqual([
      { index: 0, row: { id: "a" } },
      { error: "row 1 is not an object" },
      { index: 2, row: { id: "b" } },
      { error: "row 3 is not an object" },
      { error: "row 4 is not an object" },
    ]);
  });

  it("awaits a promise of a row in a sync iterable, and reads generators and async iterables", async () => {
    const withPromise = [{ id: "a" }, Promise.resolve({ id: "b" })] as unknown as Row[];
    expect(summary(await items(withPromise))).toEqual([
      { index: 0, row: { id: "a" } },
      { index: 1, row: { id: "b" } },
    ]);
    function* generate() {
      yield { id: "g0" };
      yield { id: "g1" };
    }
    expect(summary(await items(generate()))).toEqual([
      { index: 0, row: { id: "g0" } },
      { index: 1, row: { id: "g1" } },
    ]);
    async function* later() {
      yield { id: "l0" };
      yield 3 as unknown as Row;
    }
    expect(summary(await items(later()))).toEqual([
      { index: 0, row: { id: "l0" } },
      { error: "row 1 is not an object" },
    ]);
  });

  it("passes on an error the iterable throws", async () => {
    function* broken(): Generator<Row> {
      yield { id: "a" };
      throw new Error("disk gone");
    }
    await expect(items(broken())).rejects.toThrow("disk gone");
  });
});
