/**
 * Sources: where rows come from. JSONL files (plain, `.zst` or `.gz`) and CSV files (read as streams,
 * with line numbers), Parquet files (row group by row group), arrays, arquero tables and any (async)
 * iterable; a file's records can be mapped from a public dataset's format (mmlu-pro, dclm).
 *
 * Where you are: `driver/`. A row that cannot be parsed is yielded as an error item (file and line),
 * never thrown: the driver dead-letters it and the run goes on.
 */
import { createReadStream, existsSync } from "node:fs";
import { createInterface } from "node:readline";
import { ConfigError, SourceError, SourceRowError } from "../errors.js";
import { isThenable } from "../flow/maybe-async.js";
import type { SourceDefinition } from "../schema/pipeline-definition.js";
import { parseCsvRecords } from "./csv.js";
import { parquetRows } from "./parquet-rows.js";
import { recordMapper, type RecordFormat } from "./record-formats.js";
import { compressionOf, openTextInput } from "./text-input.js";
import { jsonArrayRows } from "./json-source.js";

export type Row = Record<string, unknown>;

export type SourceItem =
  /** `line` in a text file; `position` (1-based) in a file without lines (Parquet). */
  | { kind: "row"; row: Row; index: number; file?: string; line?: number; position?: number }
  | { kind: "error"; error: SourceRowError; raw?: string };

/** Anything with arquero's `objects()` (a table), without importing arquero here. */
interface TableLike {
  numRows(): number;
  objects(options?: { offset?: number; limit?: number }): object[];
}

/** What `run({ source })` accepts besides a serializable source definition. */
export type RuntimeSource = SourceDefinition | readonly Row[] | Iterable<Row> | AsyncIterable<Row> | TableLike;

function isTable(value: unknown): value is TableLike {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as TableLike).objects === "function" &&
    typeof (value as TableLike).numRows === "function"
  );
}

function isDefinition(value: unknown): value is SourceDefinition {
  return (
    typeof value === "object" &&
    value !== null &&
    !Array.isArray(value) &&
    typeof (value as { kind?: unknown }).kind === "string" &&
    !isTable(value)
  );
}

async function* jsonlRows(file: string): AsyncGenerator<SourceItem> {
  const lines = createInterface({ input: openTextInput(file), crlfDelay: Infinity });
  let line = 0;
  let index = 0;
  try {
    for await (let text of lines) {
      line++;
      // Files saved by spreadsheet tools often start with a byte-order mark.
      if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      if (text.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        yield {
          kind: "error",
          error: new SourceRowError(`not valid JSON (${(error as Error).message})`, { file, line }),
          raw: text,
        };
        continue;
      }
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        yield { kind: "error", error: new SourceRowError("a row must be a JSON object", { file, line }), raw: text };
        continue;
      }
      yield { kind: "row", row: value as Row, index: index++, file, line };
    }
  } catch (error) {
    // A failure of the file itself (unreadable, a truncated or corrupt .zst), not of one row.
    const compression = compressionOf(file);
    const what = compression === "none" ? "could not be read" : `is not a readable ${compression} stream`;
    throw new SourceError(`${file} ${what} after line ${line}: ${(error as Error)?.message ?? error}`, index, {
      cause: error,
    });
  }
}

async function* csvRows(file: string): AsyncGenerator<SourceItem> {
  let header: string[] | undefined;
  let index = 0;
  for await (const record of parseCsvRecords(createReadStream(file, { encoding: "utf8" }))) {
    if (record.kind === "error") {
      yield { kind: "error", error: new SourceRowError(record.message, { file, line: record.line }), raw: record.raw };
      continue;
    }
    if (header === undefined) {
      header = record.fields;
      continue;
    }
    if (record.fields.length === 1 && record.fields[0] === "") continue;
    if (record.fields.length !== header.length) {
      yield {
        kind: "error",
        error: new SourceRowError(
          `expected ${header.length} fields (as in the header), found ${record.fields.length}`,
          { file, line: record.line },
        ),
        raw: record.raw,
      };
      continue;
    }
    const row: Row = {};
    header.forEach((name, column) => (row[name] = record.fields[column]));
    yield { kind: "row", row, index: index++, file, line: record.line };
  }
}

async function* iterableRows(rows: Iterable<Row> | AsyncIterable<Row>): AsyncGenerator<SourceItem> {
  let index = 0;
  if (typeof (rows as Partial<AsyncIterable<Row>>)[Symbol.asyncIterator] === "function") {
    for await (const row of rows) yield rowItem(row, index++);
    return;
  }
  // An array or other sync iterable: `for await` would wrap every row in a promise and a turn of its own
  // (one more per LLM call of a run; bench/llm-cpu-profile.ts). A promise in it is still awaited.
  for (const row of rows as Iterable<Row>) yield rowItem(isThenable<Row>(row) ? await row : row, index++);
}

function rowItem(row: Row, index: number): SourceItem {
  if (typeof row !== "object" || row === null || Array.isArray(row)) {
    return { kind: "error", error: new SourceRowError(`row ${index} is not an object`, { rowId: String(index) }) };
  }
  return { kind: "row", row, index };
}

function* tableRows(table: TableLike): Generator<Row> {
  const size = table.numRows();
  const page = 1024;
  for (let offset = 0; offset < size; offset += page) {
    for (const row of table.objects({ offset, limit: page })) yield row as Row;
  }
}

/** Applies a record format's mapping; a record that does not fit becomes an error item (dead-lettered). */
async function* formatted(items: AsyncIterable<SourceItem>, format: RecordFormat): AsyncGenerator<SourceItem> {
  const map = recordMapper(format);
  for await (const item of items) {
    if (item.kind === "error") {
      yield item;
      continue;
    }
    try {
      yield { ...item, row: map(item.row, { file: item.file, line: item.line, row: item.position }) };
    } catch (error) {
      if (!(error instanceof SourceRowError)) throw error;
      yield { kind: "error", error, raw: JSON.stringify(item.row) };
    }
  }
}

/**
 * The source definition for a file, by its extension: `.csv`, `.parquet`, else JSON Lines (`.jsonl`,
 * `.json`, and their `.zst`/`.gz` forms); `format` maps a public dataset's records (mmlu-pro, dclm).
 */
export function fileSource(path: string, format?: RecordFormat): SourceDefinition {
  const lower = path.toLowerCase();
  if (lower.endsWith(".csv")) {
    if (format !== undefined)
      throw new ConfigError("source", `a record format ('${format}') applies to JSONL and Parquet files, not CSV`);
    return { kind: "csv", path };
  }
  const kind = lower.endsWith(".parquet") ? "parquet" : "jsonl";
  return format === undefined ? { kind, path } : { kind, path, format };
}

export function openSource(source: RuntimeSource): AsyncIterable<SourceItem> {
  if (isTable(source)) return iterableRows(tableRows(source));
  if (isDefinition(source)) {
    if (source.kind !== "rows" && !existsSync(source.path)) {
      throw new ConfigError("source", `the ${source.kind.toUpperCase()} file '${source.path}' does not exist`);
    }
    switch (source.kind) {
      case "jsonl":
        return source.format ? formatted(jsonlRows(source.path), source.format) : jsonlRows(source.path);
      case "parquet":
        return source.format ? formatted(parquetRows(source.path), source.format) : parquetRows(source.path);
      case "csv":
        return csvRows(source.path);
      case "json":
        return jsonArrayRows(source.path);
      case "rows":
        return iterableRows(source.rows);
    }
  }
  return iterableRows(source as Iterable<Row> | AsyncIterable<Row>);
}
