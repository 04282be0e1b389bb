/**
 * A streaming RFC 4180 CSV reader: quoted fields, doubled quotes, newlines inside quotes, CRLF.
 *
 * Where you are: `driver/`. It yields one record per row with the line it started on, so errors can
 * name the line.
 */
export type CsvRecord =
  | { kind: "record"; fields: string[]; line: number; raw: string }
  | { kind: "error"; message: string; line: number; raw: string };

export async function* parseCsvRecords(chunks: AsyncIterable<string | Buffer>): AsyncGenerator<CsvRecord> {
  let fields: string[] = [];
  let field = "";
  let raw = "";
  let quoted = false;
  let afterQuote = false;
  let line = 1;
  let startLine = 1;
  let pendingCr = false;
  const endRecord = (): CsvRecord => {
    fields.push(field);
    const record: CsvRecord = { kind: "record", fields, line: startLine, raw };
    fields = [];
    field = "";
    raw = "";
    afterQuote = false;
    return record;
  };
  for await (const chunk of chunks) {
    const text = typeof chunk === "string" ? chunk : chunk.toString("utf8");
    for (let i = 0; i < text.length; i++) {
      const char = text[i]!;
      if (pendingCr) {
        pendingCr = false;
        if (char === "\n") continue;
      }
      if (quoted) {
        if (char === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            raw += '""';
            i++;
          } else {
            quoted = false;
            afterQuote = true;
            raw += char;
          }
        } else {
          if (char === "\n") line++;
          field += char;
          raw += char;
        }
        continue;
      }
      if (char === ",") {
        fields.push(field);
        field = "";
        afterQuote = false;
        raw += char;
      } else if (char === "\n" || char === "\r") {
        if (char === "\r") pendingCr = true;
        yield endRecord();
        line++;
        startLine = line;
      } else if (char === '"' && field === "" && !afterQuote) {
        quoted = true;
        raw += char;
      } else if (afterQuote) {
        raw += char;
        // Skip to the end of the line so the next record starts clean.
        while (i + 1 < text.length && text[i + 1] !== "\n" && text[i + 1] !== "\r") raw += text[++i];
        yield { kind: "error", message: "text after a closing quote", line: startLine, raw };
        fields = [];
        field = "";
        raw = "";
        afterQuote = false;
      } else {
        field += char;
        raw += char;
      }
    }
  }
  if (quoted) {
    yield { kind: "error", message: "a quoted field is not closed", line: startLine, raw };
  } else if (field !== "" || fields.length > 0) {
    yield endRecord();
  }
}
