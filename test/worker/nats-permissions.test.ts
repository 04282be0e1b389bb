/**
 * The NATS permissions docs/cluster.md recommends, on a real nats-server started with
 * docs/examples/nats-permissions.conf and two users: a worker account can serve a signed run
 * (offloaded content included) and remove an abandoned run, but can neither write the run registry
 * nor create streams; the driver account can do both.
 */
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kvm } from "@nats-io/kv";
import pino from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createNatsBus, type NatsBus } from "../../sdk/bus/nats/index.js";
import { names } from "../../sdk/bus/nats/names.js";
import { getRun } from "../../sdk/bus/nats/run-registry.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { writeKeyPair, type KeyPairFiles } from "../../sdk/trust/index.js";
import { startWorker, type Worker } from "../../sdk/worker/worker.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { Tally } from "../helpers/wait.js";

const DRIVER = { user: "driver", password: "driver-pw" };
const WORKER = { user: "worker", password: "worker-pw" };

describeWithNats("NATS permissions: a worker account that reads runs but cannot write them", () => {
  let server: NatsServerHandle;
  let driverBus: NatsBus;
  let worker: Worker;
  let keys: KeyPairFiles;
  let dir: string | undefined;
  const removals = new Tally();

  beforeAll(async () => {
    // Made here and removed in afterAll: a tempDir() made inside beforeAll is not removed.
    dir = mkdtempSync(join(tmpdir(), "matrix-test-"));
    copyFileSync("docs/examples/nats-permissions.conf", join(dir, "nats-permissions.conf"));
    const users = [DRIVER, WORKER].map(
      ({ user, password }) => `{ user: ${user}, password: ${password}, permissions: $MATRIX_${user.toUpperCase()} }`,
    );
    writeFileSync(
      join(dir, "server.conf"),
      `include "./nats-permissions.conf"\nauthorization { users = [\n  ${users.join("\n  ")}\n] }\n`,
    );
    server = await startNatsServer({ args: ["-c", join(dir, "server.conf")] });
    keys = writeKeyPair(join(dir, "driver"));
    // The worker starts first, before any driver created the registry it may not create itself.
    worker = await startWorker({
      bus: await createNatsBus({ servers: [server.url], ...WORKER }),
      id: "restricted",
      trustedKeys: [keys.publicKey],
      sweepMs: 300,
      logger: pino(
        { level: "warn" },
        { write: (line: string) => void (JSON.parse(line).msg?.startsWith("abandoned run removed") && removals.add()) },
      ),
    });
    driverBus = await createNatsBus({ servers: [server.url], ...DRIVER, offloadThreshold: 512 });
  }, 60_000);

  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await worker?.drain();
    await driverBus?.close();
    await server?.dispose();
  });

  it("the worker serves a signed run, offloaded content included", async () => {
    const p = pipeline("perm")
      .code("a", (task) => ({ content: `${task.id}:${"x".repeat(2000)}` }))
      .code("b", async (task, ctx) => ({ state: { length: (await ctx.content(task.history[0]!))?.length } }));
    const run = p.run({
      source: Array.from({ length: 30 }, (_, i) => ({ id: `r${i}` })),
      bus: driverBus,
      signingKey: keys.privateKey,
    });
    const summary = await run.done();
    expect(summary.counts.done).toBe(30);
    for (const task of run.results()) expect(task.state.length).toBe(task.id.length + 2001);
  });

  it("the worker serves a dedup role: its index lives in the run's shared KV bucket", async () => {
    const texts = ["the cat sat on the mat today", "the cat sat on the mat today!", "a dog ran in the park at noon"];
    const p = pipeline("perm-dedup")
      .code("write", (task) => ({ content: task.row!.text as string }))
      .dedup("dedup", { threshold: 0.8 })
      .sequence("write", "dedup");
    const summary = await p
      .run({
        source: texts.map((text, i) => ({ id: `d${i}`, text })),
        bus: driverBus,
        signingKey: keys.privateKey,
      })
      .done();
    expect(summary.counts).toEqual({ done: 2, failed: 0, filtered: 1 });
  });

  it("the worker account can neither write the run registry or the endpoint registry nor create a stream", async () => {
    const nc = worker["options"].bus.connection;
    const runs = await new Kvm(nc).open(names.runsBucket);
    await expect(runs.put("forged", JSON.stringify({ runId: "forged" }))).rejects.toThrow(/permission/i);
    // Workers may write KV buckets in general (dedup indexes), but not the endpoint registry.
    const endpoints = await new Kvm(nc).open(names.endpointsBucket);
    await expect(endpoints.put("forged", JSON.stringify({ url: "http://evil" }))).rejects.toThrow(/permission/i);
    const jsm = await worker["options"].bus.jsm();
    await expect(jsm.streams.add({ name: "FORGED", subjects: ["forged.>"] })).rejects.toThrow(/permission/i);
    await expect(jsm.streams.delete(`KV_${names.runsBucket}`)).rejects.toThrow(/permission/i);
    expect(await getRun(await driverBus.runs(), "forged")).toBeUndefined();
  });

  it("the worker account can remove an abandoned run: record, stream, objects, lease", async () => {
    const runId = "abandoned-under-permissions";
    const leases = await driverBus.leases();
    // A driver that opened a run and died at once: a lease it never renews, a record, a stream, objects.
    await leases.create({
      runId,
      holder: { host: "gone", pid: 1 },
      ttlMs: 100,
      graceMs: 200,
      feed: { position: 0, seq: 0, done: false },
    });
    await driverBus.openRun({
      runId,
      definition: pipeline("abandoned")
        .code("a", () => ({}))
        .toJSON() as never,
      sign: undefined,
    });
    await driverBus.content.storeText(runId, "some offloaded content");
    const before = removals.count;
    await removals.reached(before + 1);
    const jsm = await driverBus.jsm();
    await expect(jsm.streams.info(names.stream(runId))).rejects.toThrow(/not found/i);
    await expect(jsm.streams.info(`OBJ_${names.objects(runId)}`)).rejects.toThrow(/not found/i);
    await expect(jsm.streams.info(names.content(runId))).rejects.toThrow(/not found/i);
    expect(await getRun(await driverBus.runs(), runId)).toBeUndefined();
    expect(await leases.read(runId)).toBeUndefined();
  });
});
