/**
 * Benchmark: dedup throughput in documents/s at 1 KB each — MinHash signatures alone, after-run dedup
 * in memory (MinHash/LSH and exact), and the dedup index on JetStream KV as NATS workers use it.
 * Prints figures; asserts nothing (the machine is shared and noisy: compare ratios within one run).
 *
 * Run: npx tsx bench/dedup.ts [documents]   (the NATS part needs nats-server: apt-get install nats-server)
 */
import { cpus } from "node:os";
import { createNatsBus } from "../sdk/bus/nats/index.js";
import { DedupIndex } from "../sdk/quality/dedup-index.js";
import { dedupRecords } from "../sdk/quality/dedup-records.js";
import { MinHasher } from "../sdk/quality/minhash.js";
import { corpus } from "../test/quality/dedup-corpus.js";
import { natsServerBinary, startNatsServer } from "../test/helpers/nats-server.js";

const count = Number(process.argv[2] ?? 20_000);
// 1 KB documents: 10% exact copies, 10% near copies, the rest distinct.
const docs = corpus({ originals: Math.round(count * 0.8), exact: count / 10, near: count / 10, distinct: 0, seed: 3 });
const bytes = docs.reduce((sum, d) => sum + d.text.length, 0) / docs.length;

function line(label: string, docsDone: number, seconds: number, extra = ""): void {
  process.stdout.write(
    `${label.padEnd(44)} ${String(Math.round(docsDone / seconds)).padStart(8)} docs/s  (${docsDone} docs, ${seconds.toFixed(2)} s)${extra}\n`,
  );
}

async function timed<T>(fn: () => Promise<T> | T): Promise<{ seconds: number; value: T }> {
  const start = performance.now();
  const value = await fn();
  return { seconds: (performance.now() - start) / 1000, value };
}

process.stdout.write(
  `Dedup throughput, ${docs.length} documents of ${Math.round(bytes)} bytes (${cpus().length} cores: ${cpus()[0]?.model ?? "?"})\n\n`,
);

const hasher = await MinHasher.create();
hasher.signature(docs[0]!.text);
const signatures = await timed(() => {
  for (const doc of docs) hasher.signature(doc.text);
});
line("MinHash signatures (128 perm, 3-word shingles)", docs.length, signatures.seconds);

const near = await timed(() => dedupRecords(docs, { field: "text", threshold: 0.8 }));
line("dedupRecords minhash, in memory", docs.length, near.seconds, `  dropped ${near.value.duplicates.length}`);
const exact = await timed(() => dedupRecords(docs, { field: "text", method: "exact" }));
line("dedupRecords exact, in memory", docs.length, exact.seconds, `  dropped ${exact.value.duplicates.length}`);

if (!natsServerBinary) {
  process.stdout.write("(nats-server not found: the JetStream KV figure is skipped)\n");
} else {
  const server = await startNatsServer();
  try {
    const bus = await createNatsBus({ servers: [server.url] });
    const sample = corpus({ originals: 2400, exact: 300, near: 300, distinct: 0, seed: 5 });
    for (const concurrency of [1, 64]) {
      const index = await DedupIndex.create(bus.sharedStore(`bench-${concurrency}`, "dedup"));
      const queue = [...sample];
      let dropped = 0;
      const result = await timed(() =>
        Promise.all(
          Array.from({ length: concurrency }, async () => {
            for (let doc = queue.shift(); doc; doc = queue.shift())
              if ((await index.check(doc.id, doc.text)).duplicateOf !== undefined) dropped++;
          }),
        ),
      );
      line(
        `dedup index on JetStream KV, ${concurrency} at once`,
        sample.length,
        result.seconds,
        `  dropped ${dropped}`,
      );
      await bus.closeRun(`bench-${concurrency}`);
    }
    await bus.close();
  } finally {
    await server.dispose();
  }
}
