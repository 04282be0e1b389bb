/**
 * The JSONL sink: finished tasks to `output.jsonl`, filtered ones to `filtered.jsonl`, failed ones and
 * unreadable source rows to `dead-letters.jsonl`. Append-only and exactly one line per task id.
 *
 * Where you are: `sink/`. The id set is loaded from existing files on resume, so a task delivered
 * twice (a redelivery after a crash) is written once. Files are opened lazily.
 */
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  readFileSync,
  openSync,
  closeSync,
  ftruncateSync,
  readSync,
  statSync,
  type WriteStream,
} from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { SerializedError } from "../errors.js";
import type { Task } from "../schema/task.js";

export interface SinkFiles {
  output: string;
  filtered: string;
  deadLetters: string;
  summary: string;
}

export function sinkFiles(outDir: string): SinkFiles {
  return {
    output: join(outDir, "output.jsonl"),
    filtered: join(outDir, "filtered.jsonl"),
    deadLetters: join(outDir, "dead-letters.jsonl"),
    summary: join(outDir, "summary.json"),
  };
}

/** Where a bad row was (file and line, or its row id), or its text: its identity across resumes. */
function badRowKey(record: BadRowRecord): string {
  const details = record.error.details ?? {};
  return details.file !== undefined
    ? `${details.file}:${details.line ?? `row ${details.row}`}`
    : `${details.rowId ?? ""}|${record.error.message}|${record.raw ?? ""}`;
}

/** Every parseable JSON object in a JSONL file (small files: dead letters, one task's lookup). */
export function readJsonlRecords(file: string): Array<Record<string, unknown>> {
  if (!existsSync(file)) return [];
  const records: Array<Record<string, unknown>> = [];
  for (const line of readFileSync(file, "utf8").split("\n")) {
    try {
      if (line.trim()) records.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // A torn last line.
    }
  }
  return records;
}

/** A dead letter for a source row that never became a task. */
export interface BadRowRecord {
  kind: "bad-row";
  error: SerializedError;
  raw?: string;
  time: number;
}

/** Ids already written to a JSONL file (for resume). A torn last line (a crash mid-write) is ignored. */
export async function readIds(file: string): Promise<Set<string>> {
  const ids = new Set<string>();
  if (!existsSync(file)) return ids;
  const lines = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    try {
      const record = JSON.parse(line) as { id?: unknown };
      if (typeof record.id === "string") ids.add(record.id);
    } catch {
      // A line cut short by a crash: its task was not acked, so it will be produced again.
    }
  }
  return ids;
}

/**
 * Cuts a last line that a crash left without its newline: its task was not acked, so it comes back,
 * and an append after it would glue the next record onto the fragment.
 */
function dropTornTail(file: string): void {
  if (!existsSync(file)) return;
  const size = statSync(file).size;
  if (size === 0) return;
  const fd = openSync(file, "r+");
  try {
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    if (last[0] === 0x0a) return;
    // Read backwards in chunks for the last newline.
    const chunk = Buffer.alloc(64 * 1024);
    let end = size;
    while (end > 0) {
      const start = Math.max(0, end - chunk.length);
      const read = readSync(fd, chunk, 0, end - start, start);
      const index = chunk.subarray(0, read).lastIndexOf(0x0a);
      if (index >= 0) {
        ftruncateSync(fd, start + index + 1);
        return;
      }
      end = start;
    }
    ftruncateSync(fd, 0);
  } finally {
    closeSync(fd);
  }
}

class AppendFile {
  private stream: WriteStream | undefined;
  constructor(private readonly path: string) {}
  /**
   * Resolves once the line has reached the file (handed to the OS), not when it is only buffered in
   * this process: the driver acks a finished task after this, so a driver killed with SIGKILL never
   * has acked a task that is not in the file. Concurrent writes still go out together (writev).
   */
  write(line: string): Promise<void> {
    const stream = (this.stream ??= createWriteStream(this.path, { flags: "a", encoding: "utf8" }));
    return new Promise<void>((resolve, reject) => stream.write(line, (error) => (error ? reject(error) : resolve())));
  }
  async close(): Promise<void> {
    const stream = this.stream;
    this.stream = undefined;
    if (stream) {
      await new Promise<void>((resolve, reject) =>
        stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
    }
  }
}

export class JsonlSink {
  readonly files: SinkFiles;
  private readonly output: AppendFile;
  private readonly filtered: AppendFile;
  private readonly deadLetters: AppendFile;
  /** Ids in output.jsonl or filtered.jsonl: final, never written again. */
  private readonly written = new Set<string>();
  /** Failed ids in dead-letters.jsonl, with the `retries` of the line written last. */
  private readonly dead = new Map<string, number>();
  private readonly badRows = new Set<string>();
  /** Rows in output.jsonl and filtered.jsonl, earlier runs (resume) included. */
  readonly counts = { done: 0, filtered: 0 };

  constructor(outDir: string) {
    mkdirSync(outDir, { recursive: true });
    this.files = sinkFiles(outDir);
    this.output = new AppendFile(this.files.output);
    this.filtered = new AppendFile(this.files.filtered);
    this.deadLetters = new AppendFile(this.files.deadLetters);
    // Create all three now: the summary names them, and an empty file says "nothing of this kind".
    for (const file of [this.files.output, this.files.filtered, this.files.deadLetters]) closeSync(openSync(file, "a"));
  }

  /**
   * Ids finished by earlier runs: done or filtered. Failed ids are not included, so resume retries them.
   * Also remembers the bad source rows already dead-lettered, so a resume does not record them again.
   */
  async finishedIds(): Promise<Set<string>> {
    for (const file of [this.files.output, this.files.filtered, this.files.deadLetters]) dropTornTail(file);
    const ids = await readIds(this.files.output);
    this.counts.done = ids.size;
    const filtered = await readIds(this.files.filtered);
    this.counts.filtered = filtered.size;
    for (const id of filtered) ids.add(id);
    for (const id of ids) this.written.add(id);
    for (const record of readJsonlRecords(this.files.deadLetters)) {
      if (record.kind === "bad-row") this.badRows.add(badRowKey(record as unknown as BadRowRecord));
      else if (typeof record.id === "string") this.dead.set(record.id, Number(record.retries ?? 0));
    }
    return ids;
  }

  /**
   * Ids of failed tasks already dead-lettered (read by `finishedIds`, not bad source rows). A driver
   * adopting a run does not feed them again; writing one again at the same retry count is a duplicate.
   */
  failedIds(): Set<string> {
    return new Set(this.dead.keys());
  }

  /**
   * Writes `task` unless its id is already final (done or filtered), or it is a failure already
   * recorded at this retry count. A retried dead letter that succeeds lands in the output; one that
   * fails again adds a newer dead letter. Returns false for a duplicate.
   */
  async write(task: Task): Promise<boolean> {
    if (this.written.has(task.id)) return false;
    const line = `${JSON.stringify(task)}\n`;
    if (task.status === "failed") {
      const retries = task.retries ?? 0;
      if (this.dead.get(task.id) === retries) return false;
      this.dead.set(task.id, retries);
      await this.deadLetters.write(line);
      return true;
    }
    this.written.add(task.id);
    const file = task.status === "filtered" ? this.filtered : this.output;
    if (task.status === "done" || task.status === "filtered") this.counts[task.status]++;
    await file.write(line);
    return true;
  }

  async writeBadRow(record: BadRowRecord): Promise<void> {
    const key = badRowKey(record);
    if (this.badRows.has(key)) return;
    this.badRows.add(key);
    await this.deadLetters.write(`${JSON.stringify(record)}\n`);
  }

  async close(): Promise<void> {
    await Promise.all([this.output.close(), this.filtered.close(), this.deadLetters.close()]);
  }
}
