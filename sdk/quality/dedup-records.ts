/**
 * Dedup after a run: over records in memory, JSONL files (a run's output directory) and arquero
 * tables, optionally against a reference dataset whose texts are dropped wherever they reappear.
 *
 * Where you are: `quality/`. `matrix dedup <out-dir>` calls `dedupJsonl`. Kept records are copied
 * byte for byte (`deduped.jsonl`); each dropped one gets a line in `duplicates.jsonl` linking it to
 * the record it duplicates. The input file is never modified.
 */
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync, type WriteStream } from "node:fs";
import { basename, dirname, join } from "node:path";
import { createInterface } from "node:readline";
import * as aq from "arquero";
import { MemorySharedStore } from "../bus/memory-shared-store.js";
import { ConfigError, QualityFieldError } from "../errors.js";
import { rootLogger } from "../logger.js";
import { DedupIndex, type DedupOptions, type DedupSettings } from "./dedup-index.js";
import { asText, describeMissing, valueAt } from "./text-field.js";

type Json = Record<string, unknown>;
type TableLike = { objects(): object[]; numRows(): number };

/** Records to compare against: in memory, a table, or a JSONL file / run output directory. */
export type ReferenceInput = string | Iterable<unknown> | AsyncIterable<unknown> | TableLike;

export interface DedupRecordsOptions extends DedupOptions {
  /** The text to compare (see quality/text-field.ts). @default "last" (the last turn) */
  field?: string;
  /** Field holding a record's id; records without one are named `#<position>` (1-based). @default "id" */
  idField?: string;
  /** Records already kept elsewhere: an input record duplicating one of them is dropped. */
  reference?: ReferenceInput;
  /** The text of a reference record. @default field */
  referenceField?: string;
}

/** One dropped record and the one it duplicates. */
export interface DuplicateLink {
  id: string;
  duplicateOf: string;
  /** Estimated Jaccard similarity (1 for an exact duplicate). */
  similarity: number;
  /** Set when the record it duplicates is in the reference dataset. */
  reference?: true;
  /** 1-based line in the input file (JSONL input). */
  line?: number;
}

export interface DedupReport {
  records: number;
  kept: number;
  duplicates: number;
  /** Reference records indexed. */
  reference: number;
  /** Ids of records without the field: kept, and not compared. */
  missingField: string[];
  /** Lines of the input that were not JSON (not copied). */
  badLines: Array<{ line: number; message: string }>;
  settings: DedupSettings & { field: string };
  durationMs: number;
  files?: { input: string; kept: string; duplicates: string };
}

function isTable(value: unknown): value is TableLike {
  return typeof (value as TableLike)?.objects === "function" && typeof (value as TableLike)?.numRows === "function";
}

/** An input record's id, or its position. */
function idOf(record: unknown, idField: string, position: number): string {
  const value = (record as Json | null)?.[idField];
  return typeof value === "string" || typeof value === "number" ? String(value) : `#${position}`;
}

/** The index, its store, and the bookkeeping shared by the three entry points. */
class Deduplicator {
  private referenceIds: string[] = [];
  private inputIds: string[] = [];
  readonly missingField: string[] = [];
  readonly duplicates: DuplicateLink[] = [];

  private constructor(
    private readonly index: DedupIndex,
    readonly options: DedupRecordsOptions & { field: string; idField: string },
  ) {}

  static async create(options: DedupRecordsOptions): Promise<Deduplicator> {
    const index = await DedupIndex.create(new MemorySharedStore(), { ...options, waitMs: 0 });
    return new Deduplicator(index, { ...options, field: options.field ?? "last", idField: options.idField ?? "id" });
  }

  get settings(): DedupReport["settings"] {
    return { ...this.index.settings, field: this.options.field };
  }

  get referenceCount(): number {
    return this.referenceIds.length;
  }

  async addReference(source: ReferenceInput): Promise<void> {
    const field = this.options.referenceField ?? this.options.field;
    const records = typeof source === "string" ? jsonlRecords(resolveJsonl(source)) : iterate(source);
    let missing = 0;
    for await (const { record } of records) {
      const text = asText(valueAt(record, field));
      if (text === undefined) {
        missing++;
        continue;
      }
      this.referenceIds.push(idOf(record, this.options.idField, this.referenceIds.length + 1));
      // Internal ids by position: reference and input ids may overlap, and an input may repeat an id.
      await this.index.check(`r${this.referenceIds.length - 1}`, text);
    }
    if (missing > 0 && this.referenceIds.length === 0)
      throw new QualityFieldError(field, `none of the ${missing} reference records has it`);
  }

  /** Whether the record is kept; a dropped one is added to `duplicates`. */
  async keep(record: unknown, line?: number): Promise<boolean> {
    const position = this.inputIds.length + 1;
    const id = idOf(record, this.options.idField, position);
    this.inputIds.push(id);
    const text = asText(valueAt(record, this.options.field));
    if (text === undefined) {
      this.missingField.push(id);
      return true;
    }
    const verdict = await this.index.check(`n${position - 1}`, text);
    if (verdict.duplicateOf === undefined) return true;
    const ofReference = verdict.duplicateOf.startsWith("r");
    const list = ofReference ? this.referenceIds : this.inputIds;
    this.duplicates.push({
      id,
      duplicateOf: list[Number(verdict.duplicateOf.slice(1))]!,
      similarity: verdict.similarity ?? 1,
      ...(ofReference ? { reference: true as const } : {}),
      ...(line !== undefined ? { line } : {}),
    });
    return false;
  }

  /** Fails when no record had the field: almost surely a mistyped path, not data to keep. */
  checkField(records: number, example: unknown): void {
    if (records > 0 && this.missingField.length === records)
      throw new QualityFieldError(
        this.options.field,
        `none of the ${records} records has it (${describeMissing(example, this.options.field)})`,
      );
    if (this.missingField.length > 0)
      rootLogger().warn(
        { field: this.options.field, count: this.missingField.length, ids: this.missingField.slice(0, 5) },
        "dedup: records without the field were kept uncompared",
      );
  }
}

async function* iterate(source: Iterable<unknown> | AsyncIterable<unknown> | TableLike): AsyncGenerator<{
  record: unknown;
  line?: number;
}> {
  const items = isTable(source) ? source.objects() : source;
  for await (const record of items as AsyncIterable<unknown>) yield { record };
}

/** A run's output directory means its output.jsonl. */
function resolveJsonl(path: string): string {
  if (!existsSync(path)) throw new ConfigError("input", `${path} does not exist`);
  return statSync(path).isDirectory() ? join(path, "output.jsonl") : path;
}

async function* jsonlRecords(
  file: string,
  badLines?: DedupReport["badLines"],
): AsyncGenerator<{ record: unknown; line: number; text: string }> {
  if (!existsSync(file)) throw new ConfigError("input", `${file} does not exist`);
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let line = 0;
  for await (const text of lines) {
    line++;
    if (text.trim() === "") continue;
    try {
      yield { record: JSON.parse(text) as unknown, line, text };
    } catch (error) {
      badLines?.push({ line, message: (error as Error).message });
    }
  }
}

/**
 * Dedups records in memory, keeping the first of each group (in order).
 *
 * @example
 * const { kept, duplicates } = await dedupRecords(rows, { field: "text", threshold: 0.8 });
 */
export async function dedupRecords<T>(
  records: Iterable<T> | AsyncIterable<T>,
  options: DedupRecordsOptions = {},
): Promise<{ kept: T[]; duplicates: DuplicateLink[]; report: DedupReport }> {
  const started = Date.now();
  const dedup = await Deduplicator.create(options);
  if (options.reference !== undefined) await dedup.addReference(options.reference);
  const kept: T[] = [];
  let count = 0;
  let first: unknown;
  for await (const record of records) {
    if (count++ === 0) first = record;
    if (await dedup.keep(record)) kept.push(record);
  }
  dedup.checkField(count, first);
  return {
    kept,
    duplicates: dedup.duplicates,
    report: report(dedup, count, kept.length, [], started),
  };
}

function report(
  dedup: Deduplicator,
  records: number,
  kept: number,
  badLines: DedupReport["badLines"],
  started: number,
): DedupReport {
  return {
    records,
    kept,
    duplicates: dedup.duplicates.length,
    reference: dedup.referenceCount,
    missingField: dedup.missingField,
    badLines,
    settings: dedup.settings,
    durationMs: Date.now() - started,
  };
}

/** Writes one line, waiting when the stream's buffer is full. */
async function writeLine(stream: WriteStream, line: string): Promise<void> {
  if (!stream.write(`${line}\n`)) await new Promise<void>((resolve) => stream.once("drain", () => resolve()));
}

async function closeStream(stream: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
  );
}

/**
 * Dedups a JSONL file, or a run's output directory (its output.jsonl). Writes `deduped.jsonl` (the
 * kept lines, unchanged) and `duplicates.jsonl` (one DuplicateLink per dropped line) into `out`
 * (default: beside the input).
 */
export async function dedupJsonl(
  input: string,
  options: DedupRecordsOptions & { out?: string } = {},
): Promise<DedupReport> {
  const started = Date.now();
  const file = resolveJsonl(input);
  const out = options.out ?? dirname(file);
  mkdirSync(out, { recursive: true });
  const files = { input: file, kept: join(out, "deduped.jsonl"), duplicates: join(out, "duplicates.jsonl") };
  if (files.kept === file || files.duplicates === file)
    throw new ConfigError("out", `writing into ${basename(file)} would overwrite the input; choose another --out`);
  const dedup = await Deduplicator.create(options);
  if (options.reference !== undefined) await dedup.addReference(options.reference);
  const keptStream = createWriteStream(files.kept);
  const duplicateStream = createWriteStream(files.duplicates);
  const badLines: DedupReport["badLines"] = [];
  let count = 0;
  let kept = 0;
  let first: unknown;
  try {
    for await (const { record, line, text } of jsonlRecords(file, badLines)) {
      if (count++ === 0) first = record;
      if (await dedup.keep(record, line)) {
        kept++;
        await writeLine(keptStream, text);
      } else {
        await writeLine(duplicateStream, JSON.stringify(dedup.duplicates.at(-1)));
      }
    }
    dedup.checkField(count, first);
  } finally {
    await Promise.all([closeStream(keptStream), closeStream(duplicateStream)]);
  }
  if (badLines.length > 0)
    rootLogger().warn({ file, lines: badLines.slice(0, 5) }, "dedup: lines that are not JSON were not copied");
  return { ...report(dedup, count, kept, badLines, started), files };
}

/**
 * Dedups an arquero table's rows (`field` is a column, or a path into one). Returns the kept rows
 * and a table of duplicates (`id`, `duplicateOf`, `similarity`, `reference`).
 */
export async function dedupTable(
  table: aq.ColumnTable,
  options: DedupRecordsOptions = {},
): Promise<{ kept: aq.ColumnTable; duplicates: aq.ColumnTable; report: DedupReport }> {
  const started = Date.now();
  const dedup = await Deduplicator.create(options);
  if (options.reference !== undefined) await dedup.addReference(options.reference);
  const rows = table.objects();
  // Positions in objects() follow the table's filter and order; reify wants the underlying rows.
  const indices = table.indices();
  const keep: number[] = [];
  for (let i = 0; i < rows.length; i++) if (await dedup.keep(rows[i])) keep.push(indices[i]!);
  dedup.checkField(rows.length, rows[0]);
  const duplicates = aq.table({
    id: dedup.duplicates.map((d) => d.id),
    duplicateOf: dedup.duplicates.map((d) => d.duplicateOf),
    similarity: dedup.duplicates.map((d) => d.similarity),
    reference: dedup.duplicates.map((d) => d.reference === true),
  });
  return {
    kept: table.reify(keep) as aq.ColumnTable,
    duplicates,
    report: report(dedup, rows.length, keep.length, [], started),
  };
}
