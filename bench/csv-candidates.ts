/**
 * Benchmark behind the keep-or-switch decision for the CSV reader (`sdk/driver/csv.ts`): our reader against
 * `csv-parse`, on what the run needs from it. Prints, for each: the line it names for each record of a file
 * with a CRLF inside a quoted field (the dead letter names that line), which records survive a stray quote
 * (a bad row must cost that row only), and the CPU to read a ~16 MB file (median of 5 rounds, range beside
 * it). Asserts nothing.
 *
 * Where you are: `bench/`. `csv-parse` is not a project dependency; install it for a run without saving:
 * `npm i --no-save csv-parse@7`, then `npx tsx bench/csv-candidates.ts`. Without it only ours is measured.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { parseCsvRecords } from "../sdk/driver/csv.js";

// Optional package: imported by a computed name so the type-check does not need it installed.
const optional = async (name: string): Promise<any> => import(name).catch(() => undefined);

interface Reader {
  name: string;
  /** [line named for the record, fields] or [line, "error: ..."] per record, in order. */
  records(text: string): Promise<[number, string[] | string][]>;
  /** Reads the whole input; resolves with the number of records. */
  count(chunks: Buffer[]): Promise<number>;
}

const ours: Reader = {
  name: "ours (sdk/driver/csv.ts)",
  async records(text) {
    const out: [number, string[] | string][] = [];
    for await (const record of parseCsvRecords(Readable.from([text])))
      out.push([record.line, record.kind === "record" ? record.fields : `error: ${record.message}`]);
    return out;
  },
  async count(chunks) {
    let n = 0;
    for await (const _ of parseCsvRecords(Readable.from(chunks))) n++;
    return n;
  },
};

function csvParseReader(module: { parse: (options: object) => any }, version: string): Reader {
  // The options the run would need: line numbers (`info`), a BOM, a bad row skipped rather than ending the file.
  const options = { info: true, bom: true, relax_column_count: true, skip_records_with_error: true };
  return {
    name: `csv-parse ${version} (info, bom, skip_records_with_error)`,
    async records(text) {
      const out: [number, string[] | string][] = [];
      const parser = module.parse(options);
      parser.on("skip", (error: { lines: number; message: string }) =>
        out.push([error.lines, `error: ${error.message.split(":")[0]}`]),
      );
      parser.end(text);
      for await (const { info, record } of parser) out.push([info.lines, record]);
      return out;
    },
    async count(chunks) {
      const parser = Readable.from(chunks).pipe(module.parse(options));
      let n = 0;
      for await (const _ of parser) n++;
      return n;
    },
  };
}

/** ~16 MB: ids, a quoted text with commas, doubled quotes and (one row in ten) a CRLF, a number. */
function bigFile(): Buffer[] {
  const rows = ["id,text,score"];
  for (let i = 0; rows.length < 187_000; i++) {
    const text = `row ${i}, with "quotes" and commas`.repeat(2) + (i % 10 === 0 ? "\r\nsecond line" : "");
    rows.push(`${i},"${text.replace(/"/g, '""')}",${(i % 97) / 10}`);
  }
  const bytes = Buffer.from(rows.join("\r\n") + "\r\n");
  // Read as a file stream would hand it over: 64 KiB chunks.
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += 65_536) chunks.push(bytes.subarray(at, at + 65_536));
  return chunks;
}

async function cpuMs(reader: Reader, chunks: Buffer[]): Promise<{ ms: number; records: number }> {
  const since = process.cpuUsage();
  const records = await reader.count(chunks);
  const used = process.cpuUsage(since);
  return { ms: (used.user + used.system) / 1000, records };
}

async function main(): Promise<void> {
  const readers = [ours];
  const csvParse = await optional("csv-parse");
  if (csvParse) {
    // Its exports do not list package.json: read it beside the resolved entry point.
    const entry = fileURLToPath(import.meta.resolve("csv-parse"));
    const packageJson = join(entry.slice(0, entry.lastIndexOf("csv-parse") + "csv-parse".length), "package.json");
    const version = (JSON.parse(readFileSync(packageJson, "utf8")) as { version: string }).version;
    readers.push(csvParseReader(csvParse, version));
  } else process.stdout.write("(csv-parse is not installed: only ours is measured)\n");

  const crlfInQuotes = 'id,t\r\n1,"a\r\nb"\r\n2,"x\ny\nz"\r\n3,c\r\n';
  const strayQuote = 'id,t\n1,"ok"x\n2,fine\n3,"q"\n';
  process.stdout.write(
    "CRLF inside quotes (records start on lines 1, 2, 4, 7); a stray quote on line 2 (lines 1, 3, 4 are good)\n",
  );
  for (const reader of readers) {
    process.stdout.write(`${reader.name}\n`);
    process.stdout.write(`  CRLF inside quotes: ${JSON.stringify(await reader.records(crlfInQuotes))}\n`);
    process.stdout.write(`  stray quote:        ${JSON.stringify(await reader.records(strayQuote))}\n`);
  }

  const chunks = bigFile();
  const megabytes = chunks.reduce((sum, chunk) => sum + chunk.length, 0) / 2 ** 20;
  for (const reader of readers) await reader.count(chunks); // warm-up
  const figures = new Map<string, number[]>(readers.map((reader) => [reader.name, []]));
  let counts = "";
  for (let round = 0; round < 5; round++) {
    // Alternate the order so a burst of load from other processes does not always hit one reader.
    for (const reader of round % 2 === 0 ? readers : [...readers].reverse()) {
      const { ms, records } = await cpuMs(reader, chunks);
      figures.get(reader.name)!.push(ms);
      if (round === 0) counts += ` ${reader.name.split(" ")[0]}: ${records} records;`;
    }
  }
  process.stdout.write(`CPU to read ${megabytes.toFixed(1)} MB (${counts.trim()})\n`);
  for (const [name, values] of figures) {
    const sorted = [...values].sort((a, b) => a - b);
    process.stdout.write(
      `  ${name}: ${sorted[2]!.toFixed(0)} ms (${sorted[0]!.toFixed(0)}-${sorted.at(-1)!.toFixed(0)}), ` +
        `${((megabytes / sorted[2]!) * 1000).toFixed(1)} MB/s\n`,
    );
  }
}

await main();
