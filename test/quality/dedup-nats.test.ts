/**
 * Dedup across workers on a real nats-server: the shared store's compare-and-set on JetStream KV,
 * the dedup index over two connections at once, and the `dedup` role served by two `matrix worker`
 * processes, which must drop each duplicate exactly once.
 */
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createNatsBus, type NatsBus } from "../../sdk/bus/nats/index.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { DedupIndex } from "../../sdk/quality/dedup-index.js";
import type { Task } from "../../sdk/schema/task.js";
import { readJsonl } from "../helpers/jsonl.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { tempDir } from "../helpers/temp-dir.js";
import { spawnWorker, waitForReady, type WorkerProcess } from "../helpers/worker-process.js";
import { corpus, type CorpusDoc } from "./dedup-corpus.js";

const docs = corpus({ originals: 40, exact: 20, near: 20, distinct: 10 });
const groupOf = (doc: CorpusDoc) => (doc.kind === "distinct" ? doc.id : (doc.of ?? doc.id));
const groups = new Set(docs.map(groupOf)).size;

/** Kept ids per group: each group must keep exactly one. */
function keptPerGroup(keptIds: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const id of keptIds) {
    const group = groupOf(docs.find((d) => d.id === id)!);
    counts.set(group, (counts.get(group) ?? 0) + 1);
  }
  return counts;
}

describeWithNats("dedup across NATS workers", () => {
  let server: NatsServerHandle;
  let a: NatsBus;
  let b: NatsBus;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    [a, b] = await Promise.all([createNatsBus({ servers: [server.url] }), createNatsBus({ servers: [server.url] })]);
    // Started here, not in the test: a worker compiling on a loaded machine is not part of what is tested.
    for (const id of ["w1", "w2"]) workers.push(spawnWorker(["--nats", server.url, "--id", id, "--concurrency", "16"]));
    await Promise.all(workers.map((worker) => waitForReady(worker)));
  }, 120_000);

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill("SIGKILL");
    await Promise.all([a?.close(), b?.close()]);
    await server?.dispose();
  });

  it("the KV store: one create wins a race, a stale update fails, revisions grow store-wide, waitFor sees a put", async () => {
    const one = a.sharedStore("kv-test", "role");
    const two = b.sharedStore("kv-test", "role");
    const results = await Promise.all([one.create("k", { by: 1 }), two.create("k", { by: 2 })]);
    expect(results.filter((r) => r !== undefined)).toHaveLength(1);
    const entry = (await two.get<{ by: number }>("k"))!;
    expect(entry.value.by).toBe(results[0] !== undefined ? 1 : 2);
    const next = await one.update("k", { by: 3 }, entry.revision);
    expect(next).toBeGreaterThan(entry.revision);
    expect(await two.update("k", { by: 4 }, entry.revision)).toBeUndefined();
    const other = (await one.create("other", 1))!;
    expect(other).toBeGreaterThan(next!);
    const waiting = two.waitFor<number>("later", 10_000);
    await one.create("later", 42);
    expect((await waiting)?.value).toBe(42);
    expect(await two.waitFor("never", 200)).toBeUndefined();
    // Another store of the same run is another key space.
    expect(await a.sharedStore("kv-test", "other-role").get("k")).toBeUndefined();
    // Closing the run destroys its bucket: opened afresh, it is empty.
    await a.closeRun("kv-test");
    expect(await a.sharedStore("kv-test", "role").get("k")).toBeUndefined();
    await a.closeRun("kv-test");
  });

  it("two connections checking the corpus at once keep exactly one of each group", async () => {
    const [left, right] = await Promise.all([
      DedupIndex.create(a.sharedStore("index-test", "dedup")),
      DedupIndex.create(b.sharedStore("index-test", "dedup")),
    ]);
    const verdicts = await Promise.all(
      docs.map(async (doc, i) => ({ doc, verdict: await (i % 2 ? left : right).check(doc.id, doc.text) })),
    );
    const kept = verdicts.filter((v) => v.verdict.duplicateOf === undefined).map((v) => v.doc.id);
    const counts = keptPerGroup(kept);
    expect(counts.size).toBe(groups);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    await a.closeRun("index-test");
  });

  it("the dedup role on two `matrix worker` processes drops each duplicate exactly once", async () => {
    const out = tempDir();
    const p = pipeline("dedup-cluster")
      .code("write", async (task) => {
        // A little jitter, so tasks reach the dedup queue interleaved, on both workers.
        await new Promise((resolve) => setTimeout(resolve, (task.row!.n as number) % 5));
        return { content: task.row!.text as string };
      })
      .dedup("dedup", { threshold: 0.8 })
      .sequence("write", "dedup");
    const source = docs.map((doc, n) => ({ id: doc.id, text: doc.text, n }));
    const summary = await p.run({ source, out, bus: a, maxInFlight: 200 }).done();
    const kept = readJsonl<Task>(join(out, "output.jsonl"));
    const dropped = readJsonl<Task>(join(out, "filtered.jsonl"));
    expect(summary.counts).toEqual({ done: groups, failed: 0, filtered: docs.length - groups });
    // Every id exactly once, in one of the two files.
    const ids = [...kept, ...dropped].map((task) => task.id);
    expect(new Set(ids).size).toBe(docs.length);
    expect(ids).toHaveLength(docs.length);
    const counts = keptPerGroup(kept.map((task) => task.id));
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    for (const task of dropped) {
      expect(task.reason).toBe("duplicate");
      const of = (task.state.dedup as { duplicateOf: string }).duplicateOf;
      expect(groupOf(docs.find((d) => d.id === of)!)).toBe(groupOf(docs.find((d) => d.id === task.id)!));
    }
    // Both processes served the run.
    const agents = new Set([...kept, ...dropped].map((task) => task.history[0]!.agent.split("/")[0]));
    expect(agents).toEqual(new Set(["w1", "w2"]));
  }, 120_000);
});
