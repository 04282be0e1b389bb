/**
 * Rows of a Parquet file (e.g. a Hugging Face dataset split as published), read one row group at a
 * time so a large file is never decoded whole; list columns come back as arrays, structs as objects.
 *
 * Where you are: `driver/`, used by `openSource` for `{ kind: "parquet", path }`. parquet-wasm reads
 * through a file-backed Blob (`fs.openAsBlob`), so only the footer and the current row group are in
 * memory. A file that is not Parquet is a `SourceError` naming it.
 */
import { openAsBlob } from "node:fs";
import * as aq from "arquero";
import * as parquet from "parquet-wasm/node";
import { SourceError } from "../errors.js";
import type { SourceItem } from "./source.js";

/** Arrow hands back BigInt for 64-bit integers; rows are JSON, so safe ones become numbers. */
function plain(value: unknown): unknown {
  if (typeof value === "bigint") {
    return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (Array.isArray(value)) return value.map(plain);
  if (ArrayBuffer.isView(value) && !(value instanceof DataView))
    return Array.from(value as unknown as ArrayLike<unknown>, plain);
  if (value instanceof Date) return value.toISOString();
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, plain(inner)]));
  }
  return value;
}

export async function* parquetRows(file: string): AsyncGenerator<SourceItem> {
  let reader: parquet.ParquetFile;
  try {
    reader = await parquet.ParquetFile.fromFile(await openAsBlob(file));
  } catch (error) {
    throw new SourceError(`${file} is not a readable Parquet file (${(error as Error)?.message ?? error})`, 0, {
      cause: error,
    });
  }
  const groups = reader.metadata().numRowGroups();
  let index = 0;
  for (let group = 0; group < groups; group++) {
    const table = aq.fromArrow((await reader.read({ rowGroups: [group] })).intoIPCStream());
    for (const object of table.objects()) {
      index++;
      yield { kind: "row", row: plain(object) as Record<string, unknown>, index: index - 1, file, position: index };
    }
  }
  reader.free();
}
