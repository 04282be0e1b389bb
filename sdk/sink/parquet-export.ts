/**
 * Parquet output: writes finished tasks as a columnar file (ZSTD) that pandas, Polars, DuckDB and
 * Hugging Face datasets read directly. Nested fields (row, history, state, usage) are JSON text
 * columns, so the schema is fixed whatever the pipeline.
 *
 * Where you are: `sink/`. JSONL stays the source of truth (append-only, resumable); Parquet is written
 * from it when a run ends (`run({ parquet: true })`, `matrix run --parquet`).
 */
import { createReadStream, existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import * as aq from "arquero";
import * as parquet from "parquet-wasm/node";
import type { Task } from "../schema/task.js";

const COLUMNS = [
  "id",
  "row_id",
  "trial",
  "seed",
  "status",
  "reason",
  "hops",
  "turns",
  "prompt_tokens",
  "completion_tokens",
  "created",
  "finished",
  "row",
  "history",
  "state",
  "usage",
  "error",
] as const;

type Columns = Record<(typeof COLUMNS)[number], unknown[]>;

function append(columns: Columns, task: Task): void {
  let prompt = 0;
  let completion = 0;
  for (const usage of Object.values(task.usage)) {
    prompt += usage.promptTokens;
    completion += usage.completionTokens;
  }
  columns.id.push(task.id);
  columns.row_id.push(task.rowId);
  columns.trial.push(task.trial);
  columns.seed.push(task.seed);
  columns.status.push(task.status);
  columns.reason.push(task.reason ?? null);
  columns.hops.push(task.hops);
  columns.turns.push(task.history.length);
  columns.prompt_tokens.push(prompt);
  columns.completion_tokens.push(completion);
  columns.created.push(task.timestamps.created);
  columns.finished.push(task.timestamps.finished ?? null);
  columns.row.push(JSON.stringify(task.row));
  columns.history.push(JSON.stringify(task.history));
  columns.state.push(JSON.stringify(task.state));
  columns.usage.push(JSON.stringify(task.usage));
  columns.error.push(task.error ? JSON.stringify(task.error) : null);
}

/** Converts a JSONL file of finished tasks into a Parquet file. Returns the number of rows written. */
export async function jsonlToParquet(jsonlPath: string, parquetPath: string): Promise<number> {
  const columns = Object.fromEntries(COLUMNS.map((name) => [name, []])) as unknown as Columns;
  const lines = existsSync(jsonlPath)
    ? createInterface({ input: createReadStream(jsonlPath, { encoding: "utf8" }), crlfDelay: Infinity })
    : [];
  let rows = 0;
  for await (const line of lines) {
    if (!line.trim()) continue;
    try {
      append(columns, JSON.parse(line) as Task);
      rows++;
    } catch {
      // A line torn by a crash is not a finished task; resume will produce it again.
    }
  }
  const table = aq.table(columns);
  const ipc = aq.toArrowIPC(table, { format: "stream" }) as Uint8Array;
  const properties = new parquet.WriterPropertiesBuilder().setCompression(parquet.Compression.ZSTD).build();
  const bytes = parquet.writeParquet(parquet.Table.fromIPCStream(ipc), properties);
  await writeFile(parquetPath, bytes);
  return rows;
}

/** Reads a Parquet file written by `jsonlToParquet` back into an arquero table. */
export async function readParquet(bytes: Uint8Array): Promise<aq.ColumnTable> {
  const table = parquet.readParquet(bytes);
  return aq.fromArrow(table.intoIPCStream());
}
