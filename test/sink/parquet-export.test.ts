import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { readParquet } from "../../sdk/sink/parquet-export.js";
import { tempDir } from "../helpers/temp-dir.js";

describe("Parquet output", () => {
  it("writes every finished task as a row that reads back with the same fields", async () => {
    const out = tempDir();
    const run = pipeline("pq")
      .code("a", (task) => ({
        content: `hello ${task.rowId}`,
        state: { n: Number(task.row!.n) * 3 },
        usage: { promptTokens: 2, completionTokens: 1 },
      }))
      .run({ source: Array.from({ length: 25 }, (_, i) => ({ id: `p${i}`, n: i })), out, parquet: true });
    const summary = await run.done();
    expect(summary.files?.parquet).toBe(join(out, "output.parquet"));
    const table = await readParquet(readFileSync(join(out, "output.parquet")));
    expect(table.numRows()).toBe(25);
    const rows = table.objects() as Array<Record<string, unknown>>;
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const task of run.results()) {
      const row = byId.get(task.id)!;
      expect(row.status).toBe("done");
      expect(JSON.parse(row.state as string)).toEqual(task.state);
      expect(JSON.parse(row.history as string)[0].content).toBe(`hello ${task.rowId}`);
      expect(Number(row.prompt_tokens)).toBe(2);
    }
  });
});
