/**
 * The distributed runtime end to end: a real nats-server, `matrix worker` processes, and a driver in
 * this process. Every id must come out exactly once, whatever dies in the middle.
 */
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createNatsBus, type NatsBus } from "../../sdk/bus/nats/index.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import type { Task } from "../../sdk/schema/task.js";
import { readJsonl } from "../helpers/jsonl.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { tempDir } from "../helpers/temp-dir.js";
import { Tally, untilProgress } from "../helpers/wait.js";
import { spawnWorker, waitForReady, type WorkerProcess } from "../helpers/worker-process.js";

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, n: i }));

const threeRoles = pipeline("three")
  .code("a", (task) => ({ state: { a: (task.row!.n as number) * 2 } }))
  .code("b", async (task) => {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return { state: { b: (task.state.a as number) + 1 } };
  })
  .code("c", (task) => ({ content: `c saw ${task.state.b}` }))
  .sequence("a", "b", "c");

function expectExactlyOnce(out: string, n: number): Task[] {
  const written = readJsonl<Task>(join(out, "output.jsonl"));
  const ids = written.map((task) => task.id);
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids.length).toBe(n);
  for (const task of written) {
    expect(task.status).toBe("done");
    expect(task.state.b).toBe((task.row!.n as number) * 2 + 1);
    expect(task.history.at(-1)?.content).toBe(`c saw ${task.state.b}`);
  }
  return written;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWithNats("distributed runs: matrix worker processes over NATS JetStream", () => {
  let server: NatsServerHandle;
  let bus: NatsBus;
  const workers: WorkerProcess[] = [];
  const startWorker = async (id: string) => {
    const worker = spawnWorker(["--nats", server.url, "--id", id, "--concurrency", "32"]);
    workers.push(worker);
    await waitForReady(worker);
    return worker;
  };

  beforeAll(async () => {
    server = await startNatsServer();
    // A short ack_wait so a killed worker's tasks come back within the test's budget.
    bus = await createNatsBus({ servers: [server.url], ackWaitMs: 2000 });
    await Promise.all([startWorker("w1"), startWorker("w2")]);
  }, 90_000);

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill("SIGKILL");
    await bus?.close();
    await server?.dispose();
  });

  it("2 workers + a driver: 1,000 rows through 3 roles, every id exactly once", async () => {
    const out = tempDir();
    const hopEvents = new Tally();
    const run = threeRoles.run({ source: rows(1000), out, bus, maxInFlight: 300 });
    run.subscribe((event) => {
      if (event.type === "hop-end") hopEvents.add();
    });
    const summary = await run.done();
    expect(summary.counts).toEqual({ done: 1000, failed: 0, filtered: 0 });
    expect(summary.hops).toBe(3000);
    const written = expectExactlyOnce(out, 1000);
    // Both workers took part (they compete for the same durable consumers).
    const agents = new Set(written.flatMap((task) => task.history.map((turn) => turn.agent.split("/")[0])));
    expect(agents).toEqual(new Set(["w1", "w2"]));
    // Hop events come back from the remote agents over core NATS (at most once, so not all 3000 are
    // promised): most of them arrive.
    await hopEvents.reached(2001);
  });

  it("kill -9 of a worker mid-run (and a new one joining): every id exactly once, none lost", async () => {
    const out = tempDir();
    const run = threeRoles.run({ source: rows(600), out, bus, maxInFlight: 200 });
    await untilProgress(run, (progress) => progress.done >= 100);
    const victim = workers.find((worker) => worker.child.exitCode === null && worker.child.signalCode === null)!;
    victim.child.kill("SIGKILL");
    expect(await victim.exited).toBe("SIGKILL");
    await startWorker("w3");
    const summary = await run.done();
    expect(summary.counts.done).toBe(600);
    expectExactlyOnce(out, 600);
  });

  it("nats-server stopped and restarted mid-run (file storage): completes with every id exactly once", async () => {
    const out = tempDir();
    const run = threeRoles.run({ source: rows(600), out, bus, maxInFlight: 200 });
    await untilProgress(run, (progress) => progress.done >= 100);
    await server.stop();
    await sleep(500);
    await server.restart();
    const summary = await run.done();
    expect(summary.counts.done).toBe(600);
    expectExactlyOnce(out, 600);
  });

  it("a task whose agent always throws is dead-lettered after its attempts; the rest complete", async () => {
    const out = tempDir();
    const flaky = pipeline("flaky")
      .code("a", (task) => {
        if (task.row!.n === 7) throw new Error("row 7 always fails");
        return { state: { ok: true } };
      })
      .options({ maxAttempts: 3 });
    const summary = await flaky.run({ source: rows(50), out, bus }).done();
    expect(summary.counts).toEqual({ done: 49, failed: 1, filtered: 0 });
    const dead = readJsonl<Task>(join(out, "dead-letters.jsonl"));
    expect(dead.map((task) => task.id)).toEqual(["r7"]);
    expect(dead[0]!.error?.message).toContain("row 7 always fails");
    expect(dead[0]!.attempt).toBe(3);
    expect(readJsonl<Task>(join(out, "output.jsonl"))).toHaveLength(49);
  });

  it("SIGTERM drains a worker: it finishes what it holds and exits 0", async () => {
    const worker = workers.find((w) => w.child.exitCode === null && w.child.signalCode === null)!;
    const out = tempDir();
    const run = threeRoles.run({ source: rows(200), out, bus, maxInFlight: 100 });
    await untilProgress(run, (progress) => progress.done >= 20);
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toBe(0);
    expect(worker.log).toContain("drained");
    await run.done();
    expectExactlyOnce(out, 200);
  });
});
