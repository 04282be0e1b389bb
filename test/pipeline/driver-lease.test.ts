/**
 * A driver's lease on its run, against a real nats-server, workers and an HTTP fake LLM: a driver
 * killed with SIGKILL mid-run is adopted by `resume` in the same output directory (every id exactly
 * once, and no LLM call redone: the experiment's calls are at most the run's own plus those in flight
 * at the kill); a detached run is collected by `attachRun`; an abandoned run is shown as such, then
 * removed by the workers (stream, consumers, KV entries, objects) once its grace period is over, and
 * `matrix status` shows it as gone, then no longer lists it.
 */
import { join } from "node:path";
import { Objm } from "@nats-io/obj";
import { afterAll, beforeAll, expect, it, onTestFinished } from "vitest";
import { clusterStatus, createNatsBus, type NatsBus } from "../../sdk/bus/nats/index.js";
import { names, token } from "../../sdk/bus/nats/names.js";
import type { StatusFlags } from "../../sdk/cli/program.js";
import { command as statusCommand } from "../../sdk/cli/status-command.js";
import { attachRun } from "../../sdk/pipeline/attach-run.js";
import type { Task } from "../../sdk/schema/task.js";
import { startWorker, type Worker } from "../../sdk/worker/worker.js";
import { startFakeServer, type FakeServer } from "../llm/fake-openai-server.js";
import { spawnDriver } from "../helpers/driver-process.js";
import { readJsonl } from "../helpers/jsonl.js";
import { pipelines, rows } from "../helpers/lease-pipelines.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { tempDir } from "../helpers/temp-dir.js";
import { testLogger } from "../helpers/test-logger.js";
import { Tally } from "../helpers/wait.js";
import pino from "pino";

const chatCalls = (fake: FakeServer) => fake.requests.filter((request) => Array.isArray(request.body.messages)).length;

/** The run's stream, record, lease and object store: all gone? */
async function leftovers(bus: NatsBus, runId: string): Promise<string[]> {
  const left: string[] = [];
  const jsm = await bus.jsm();
  if (
    await jsm.streams.info(names.stream(runId)).then(
      () => true,
      () => false,
    )
  )
    left.push("stream");
  if (await (await bus.runs()).get(token(runId)).then((e) => e?.operation === "PUT")) left.push("record");
  if (await (await bus.leases()).read(runId)) left.push("lease");
  if (
    await new Objm(bus.connection).open(names.objects(runId)).then(
      () => true,
      () => false,
    )
  )
    left.push("objects");
  if (
    await jsm.streams.info(names.content(runId)).then(
      () => true,
      () => false,
    )
  )
    left.push("content");
  return left;
}

/**
 * Each test starts a driver process (node with tsx, which compiles the SDK first) and waits on its
 * events, never on a clock; on a loaded 2-core machine that start alone can take 20-30 s.
 */
const DRIVER_TEST_MS = 180_000;

/** `matrix status --nats URL`, run in this process: what it prints. */
async function matrixStatus(nats: string): Promise<string> {
  let text = "";
  const io = { stdout: (t: string) => void (text += t), stderr: () => {}, interactive: false, env: {} };
  expect(await statusCommand({ nats } as StatusFlags, io)).toBe(0);
  return text;
}

describeWithNats("a driver's lease: adoption, detach and attach, abandoned runs", () => {
  let server: NatsServerHandle;
  let bus: NatsBus;
  let fake: FakeServer;
  /** The prompts (one per row: `Say <id>`) the fake LLM is answering right now. */
  const answering = new Set<string>();
  const removals = new Tally();
  const withdrawals = new Map<string, Tally>();
  const withdrawn = (runId: string) => withdrawals.get(runId) ?? withdrawals.set(runId, new Tally()).get(runId)!;
  const workers: Worker[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    bus = await createNatsBus({ servers: [server.url], ackWaitMs: 3000 });
    fake = await startFakeServer(async (request) => {
      const prompt = request.body.messages?.at(-1)?.content;
      answering.add(prompt);
      await new Promise((resolve) => setTimeout(resolve, 20));
      answering.delete(prompt);
      return { content: `said ${prompt}` };
    });
    // Workers log the removal of an abandoned run; the test awaits that line, not a clock.
    const logger = pino(
      { level: "info" },
      {
        write: (line: string) => {
          const { msg, runId } = JSON.parse(line) as { msg?: string; runId?: string };
          if (msg?.startsWith("abandoned run removed")) removals.add();
          if (msg?.startsWith("run withdrawn") && runId) withdrawn(runId).add();
        },
      },
    );
    for (const id of ["lw1", "lw2"])
      workers.push(
        await startWorker({
          bus: await createNatsBus({ servers: [server.url], ackWaitMs: 3000 }),
          id,
          concurrency: 8,
          sweepMs: 300,
          logger,
        }),
      );
  }, 60_000);

  afterAll(async () => {
    await Promise.all(workers.map((worker) => worker.drain()));
    await bus?.close();
    await fake?.close();
    await server?.dispose();
  });

  it(
    "kill -9 of the driver mid-run, then resume: adopted; every id once; no LLM call redone",
    async () => {
      const out = tempDir();
      const total = 120;
      const options = { out, llm: fake.baseUrl, model: "fake-model", maxInFlight: 10 };
      // Every task either driver publishes to the entry role's queue. Core NATS sees each publish, even
      // one the stream drops as a duplicate of an earlier message id: a row fed twice shows here although
      // the server's 2-minute duplicate window would hide it (an adoption later than that would not).
      const fedIds: string[] = [];
      const feeds = bus.connection.subscribe("matrix.*.q.ask", {
        callback: (_error, message) => void fedIds.push((JSON.parse(message.string()) as Task).id),
      });
      onTestFinished(() => feeds.unsubscribe());
      await bus.connection.flush();
      const first = spawnDriver({
        pipeline: "chat",
        rows: total,
        nats: server.url,
        leaseMs: 1500,
        natsBus: { ackWaitMs: 3000 },
        ...options,
      });
      const runId = await first.started;
      await first.tasks.reached(50);
      // Calls in flight at the kill are the only ones the bound allows to be made twice (a driver's
      // death must not redo work); this driver runs no agents, so there should be none of its own.
      const inFlightAtKill = new Set(answering);
      first.child.kill("SIGKILL");
      expect(await first.exited).toBe("SIGKILL");
      const writtenByFirst = readJsonl<Task>(join(out, "output.jsonl")).length;
      expect(writtenByFirst).toBeGreaterThanOrEqual(50);
      expect(writtenByFirst).toBeLessThan(total);

      const logs = testLogger("warn");
      const run = pipelines.chat.run({ ...options, source: rows(total), bus, resume: true, logger: logs.logger });
      expect(run.runId).toBe(runId);
      const summary = await run.done();
      expect(logs.lines.find((line) => line.msg.startsWith(`adopting run ${runId}`))?.level).toBe(40);
      const written = readJsonl<Task>(join(out, "output.jsonl"));
      const ids = written.map((task) => task.id);
      expect(new Set(ids).size).toBe(total);
      expect(ids).toHaveLength(total);
      for (const task of written) expect(task.state.said).toBe(`said Say ${task.id}`);
      // What the first driver wrote was not written again.
      expect(summary.counts.done).toBe(total - writtenByFirst);
      // One LLM call per row, whichever driver fed it: nothing finished was redone. The bound
      // on the whole experiment, then per row: only a row whose call was in flight at the kill may
      // have had a second one (re-feeding a row queued, past its call or on _sink would show here).
      expect(chatCalls(fake)).toBeGreaterThanOrEqual(total);
      expect(chatCalls(fake)).toBeLessThanOrEqual(total + inFlightAtKill.size);
      const callsPerPrompt = new Map<string, number>();
      for (const request of fake.requests.filter((r) => Array.isArray(r.body.messages))) {
        const prompt = request.body.messages.at(-1).content as string;
        callsPerPrompt.set(prompt, (callsPerPrompt.get(prompt) ?? 0) + 1);
      }
      expect(callsPerPrompt.size).toBe(total);
      const repeated = [...callsPerPrompt].filter(([prompt, calls]) => calls > 1 && !inFlightAtKill.has(prompt));
      expect(repeated).toEqual([]);
      // Each row was fed once, by one driver or the other: the adopter fed only rows never fed.
      await bus.connection.flush();
      expect(fedIds).toHaveLength(total);
      expect(new Set(fedIds).size).toBe(total);
      expect(await leftovers(bus, runId)).toEqual([]);
    },
    DRIVER_TEST_MS,
  );

  it(
    "detach: the driver feeds every row and exits; attachRun collects each id once and removes the run",
    async () => {
      const out = tempDir();
      const driver = spawnDriver({ pipeline: "code", rows: 150, nats: server.url, out, detach: true });
      const fed = await driver.summary;
      expect(fed).toMatchObject({ detached: true, counts: { done: 0 } });
      expect(await driver.exited).toBe(0);
      const runId = await driver.started;
      const listed = (await clusterStatus(bus.connection)).runs.find((run) => run.runId === runId);
      expect(listed?.lease).toMatchObject({ state: "detached", fed: true });

      const logs = testLogger("info");
      const collected = await attachRun({ runId, out, bus, logger: logs.logger });
      const summary = await collected.done();
      expect(summary.counts.done).toBe(150);
      // Attaching is what a detached run is for: said, not warned about (a crashed driver's is a warning).
      const adopting = logs.lines.find((line) => line.msg.startsWith(`adopting run ${runId}`));
      expect(adopting?.level).toBe(30);
      const written = readJsonl<Task>(join(out, "output.jsonl"));
      expect(new Set(written.map((task) => task.id)).size).toBe(150);
      expect(written).toHaveLength(150);
      for (const task of written) expect(task.history.at(-1)?.content).toBe(`b=${Number(task.row!.n) * 2}`);
      expect(await leftovers(bus, runId)).toEqual([]);
    },
    DRIVER_TEST_MS,
  );

  it(
    "an abandoned run is listed as such, then removed by the workers after its grace period",
    async () => {
      const out = tempDir();
      const driver = spawnDriver({
        pipeline: "code",
        rows: 400,
        nats: server.url,
        out,
        maxInFlight: 20,
        leaseMs: 600,
        abandonAfterMs: 5000,
        // Something in the object store too: offloaded rows.
        natsBus: { offloadThreshold: 1 },
      });
      const runId = await driver.started;
      await driver.tasks.reached(5);
      driver.child.kill("SIGKILL");
      await driver.exited;
      const removedBefore = removals.count;
      expect(await leftovers(bus, runId)).toEqual(["stream", "record", "lease", "objects", "content"]);
      // Expiry is a matter of the clock: wait out the lease's TTL from its last renewal.
      const lease = (await (await bus.leases()).read(runId))!;
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, lease.written + lease.lease.ttlMs - Date.now()) + 50),
      );
      const listed = (await clusterStatus(bus.connection)).runs.find((run) => run.runId === runId);
      expect(["expired", "abandoned"]).toContain(listed?.lease?.state);
      expect(listed?.lease?.removeInMs).toBeLessThanOrEqual(5000);
      // What `matrix status` prints about it meanwhile.
      expect((await matrixStatus(server.url)).split("\n").find((line) => line.startsWith(runId))).toMatch(
        /gone \d+s \(adopt with --resume in its output directory; removed in \d+s\)|ABANDONED|being removed/,
      );

      await removals.reached(removedBefore + 1);
      expect(await leftovers(bus, runId)).toEqual([]);
      expect((await clusterStatus(bus.connection)).runs.map((run) => run.runId)).not.toContain(runId);
      expect(await matrixStatus(server.url)).not.toContain(runId);
      // Both workers left it (the removal is a purge, which the others learn of on their next sweep).
      await withdrawn(runId).reached(2);
      for (const worker of workers) expect(worker.activeRuns()).not.toContain(runId);
    },
    DRIVER_TEST_MS,
  );
});
