import { describe, expect, it } from "vitest";
import { parseCsvRecords, type CsvRecord } from "../../sdk/driver/csv.js";

async function parse(...chunks: string[]): Promise<CsvRecord[]> {
  const records: CsvRecord[] = [];
  async function* source() {
    yield* chunks;
  }
  for await (const record of parseCsvRecords(source())) records.push(record);
  return records;
}

describe("CSV reader", () => {
  it("handles quotes, doubled quotes, embedded newlines and CRLF, with start lines", async () => {
    const records = await parse('a,b\r\n1,"x, y"\r\n2,"line1\nline2 ""q"""\r\n3,');
    expect(records.map((r) => (r.kind === "record" ? [r.line, r.fields] : r))).toEqual([
      [1, ["a", "b"]],
      [2, ["1", "x, y"]],
      [3, ["2", 'line1\nline2 "q"']],
      [5, ["3", ""]],
    ]);
  });

  it("parses the same across chunk boundaries", async () => {
    const text = 'id,t\n1,"ab""c"\n2,d\n';
    const whole = await parse(text);
    const split = await parse(...text.split(""));
    expect(split).toEqual(whole);
  });

  it("reports an unclosed quote and text after a closing quote with their lines", async () => {
    const records = await parse('id,t\n1,"ok"x\n2,"never closed\n');
    expect(records.filter((r) => r.kind === "error").map((r) => [r.line, (r as { message: string }).message])).toEqual([
      [2, "text after a closing quote"],
      [3, "a quoted field is not closed"],
    ]);
  });
});
