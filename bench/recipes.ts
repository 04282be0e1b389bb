/**
 * Benchmark of the shipped case-study recipes and their loaders (prints figures, asserts nothing):
 *   1. `coral` and `natural-reasoning`, 50 rows each, offline on the built-in simulator (speed 50, as
 *      `matrix run` starts it): wall time, rows/s, hops/s;
 *   2. the DCLM loader: records/s and MB/s of text from plain JSONL and from `.zst` (the shipped shard
 *      repeated as frames), with the record mapping;
 *   3. the MMLU-Pro loader from Parquet (the shipped questions repeated into one file): rows/s.
 *
 * Run: npx tsx bench/recipes.ts
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import * as aq from "arquero";
import * as parquet from "parquet-wasm/node";
import pino from "pino";
import { fileSource, openSource } from "../sdk/driver/source.js";
import { recipe } from "../sdk/recipes/index.js";

const cpus = os.cpus();
console.log(
  `machine: ${cpus.length} x ${cpus[0]?.model ?? "unknown cpu"}, node ${process.version}, load ${os.loadavg()[0]!.toFixed(1)}`,
);
const silent = pino({ level: "silent" });

for (const name of ["coral", "natural-reasoning"]) {
  const started = performance.now();
  const summary = await recipe(name)!
    .run({ rows: 50, simulator: { speed: 50 }, logger: silent })
    .done();
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${name.padEnd(18)} 50 rows in ${seconds.toFixed(1)} s (run ${(summary.durationMs / 1000).toFixed(1)} s): ` +
      `${(50 / seconds).toFixed(1)} rows/s, ${(summary.hops / seconds).toFixed(0)} hops/s, ${summary.tokens.completion} completion tokens`,
  );
}

const dir = mkdtempSync(join(os.tmpdir(), "matrix-bench-"));
try {
  const copies = 40;
  const plain = join(dir, "pages.jsonl");
  const zst = join(dir, "pages.jsonl.zst");
  writeFileSync(plain, readFileSync("datasets/natural-reasoning/passages.jsonl", "utf8").repeat(copies));
  writeFileSync(
    zst,
    Buffer.concat(Array.from({ length: copies }, () => readFileSync("datasets/natural-reasoning/passages.jsonl.zst"))),
  );
  const megabytes = statSync(plain).size / 2 ** 20;
  for (const [label, file] of [
    ["DCLM JSONL", plain],
    ["DCLM .zst", zst],
  ] as const) {
    const started = performance.now();
    let records = 0;
    for await (const item of openSource(fileSource(file, "dclm"))) if (item.kind === "row") records++;
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `${label.padEnd(18)} ${records} records, ${megabytes.toFixed(1)} MB of text (${(statSync(file).size / 2 ** 20).toFixed(1)} MB on disk): ` +
        `${(records / seconds).toFixed(0)} records/s, ${(megabytes / seconds).toFixed(1)} MB/s`,
    );
  }

  const questions = readFileSync("datasets/coral/questions.jsonl", "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const many: Array<Record<string, unknown>> = Array.from({ length: 50 }, (_, copy) =>
    questions.map((q) => ({ ...q, question_id: (q.question_id as number) + copy * 1000 })),
  ).flat();
  const columns = Object.fromEntries(Object.keys(questions[0]!).map((key) => [key, many.map((q) => q[key])]));
  const ipc = aq.toArrowIPC(aq.table(columns), { format: "stream" }) as Uint8Array;
  const file = join(dir, "questions.parquet");
  writeFileSync(file, parquet.writeParquet(parquet.Table.fromIPCStream(ipc)));
  const started = performance.now();
  let rows = 0;
  for await (const item of openSource(fileSource(file, "mmlu-pro"))) if (item.kind === "row") rows++;
  const seconds = (performance.now() - started) / 1000;
  console.log(`${"MMLU-Pro Parquet".padEnd(18)} ${rows} rows: ${(rows / seconds).toFixed(0)} rows/s`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
