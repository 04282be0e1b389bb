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

describe("CSV reader: what a spreadsheet export looks like", () => {
  it("drops a BOM (even split across byte chunks) and keeps UTF-8 split across chunks whole", async () => {
    const bytes = Buffer.from("\uFEFFid,name\n1,Zoë\n", "utf8");
    const records: CsvRecord[] = [];
    async function* oneByteAtATime() {
      for (const byte of bytes) yield Buffer.from([byte]);
    }
    for await (const record of parseCsvRecords(oneByteAtATime())) records.push(record);
    expect(records.map((r) => (r.kind === "record" ? r.fields : r))).toEqual([
      ["id", "name"],
      ["1", "Zoë"],
    ]);
  });

  it("counts a CRLF inside a quoted field as one line, so later lines stay right", async () => {
    const records = await parse('id,t\r\n1,"a\r\nb"\r\n2,"x\ny\nz"\r\n3,c\r\n');
    expect(records.map((r) => (r.kind === "record" ? [r.line, r.fields] : r))).toEqual([
      [1, ["id", "t"]],
      [2, ["1", "a\r\nb"]],
      [4, ["2", "x\ny\nz"]],
      [7, ["3", "c"]],
    ]);
  });

  it("after text following a closing quote, goes on with the next line's row", async () => {
    const records = await parse('id,t\n1,"ok"x\n2,fine\n3,"q"\n');
    expect(records.map((r) => [r.kind, r.line])).toEqual([
      ["record", 1],
      ["error", 2],
      ["record", 3],
      ["record", 4],
    ]);
  });
});
