/**
 * Recipes and their summary metrics over NATS: a real nats-server, `matrix worker` processes serving
 * the roles, and the driver in this process computing the summary metrics where the sink is.
 */
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import pino from "pino";
import { createNatsBus, type NatsBus } from "../../sdk/bus/nats/index.js";
import type { Run } from "../../sdk/driver/run.js";
import { startSimulator, type SimulatorHandle } from "../../sdk/llm/simulator/index.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { recipe } from "../../sdk/recipes/index.js";
import type { Task } from "../../sdk/schema/task.js";
import type { RunSummary } from "../../sdk/schema/event.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { tempDir } from "../helpers/temp-dir.js";
import { spawnWorker, waitForReady, type WorkerProcess } from "../helpers/worker-process.js";

const silent = pino({ level: "silent" });

describeWithNats("recipes and summary metrics over NATS with worker processes", () => {
  let server: NatsServerHandle;
  let bus: NatsBus;
  let llm: SimulatorHandle;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    bus = await createNatsBus({ servers: [server.url] });
    // One inference server shared by the workers (as `matrix cluster up` runs them).
    llm = await startSimulator({ speed: 1000 });
    for (const id of ["w1", "w2"]) {
      const worker = spawnWorker(["--nats", server.url, "--id", id, "--llm", llm.baseUrl, "--model", "sim-model"]);
      workers.push(worker);
    }
    await Promise.all(workers.map((worker) => waitForReady(worker)));
  }, 90_000);

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill("SIGKILL");
    await bus?.close();
    await server?.dispose();
    await llm?.close();
  });

  /** The same recipe and rows over NATS (the workers' agents) and locally: the same seeds, the same trajectories. */
  async function bothWays(name: string, options: Record<string, unknown>, rows: number) {
    const p = recipe(name, options)!;
    // The run names its LLM, and the workers use exactly that (their own --llm is for `llm: "workers"` runs).
    const overNats = p.run({
      rows,
      bus,
      seed: 5,
      out: tempDir(),
      logger: silent,
      llm: llm.baseUrl,
      model: "sim-model",
    });
    const local = p.run({ rows, seed: 5, llm: llm.baseUrl, model: "sim-model", logger: silent });
    const [nats, here] = [await overNats.done(), await local.done()];
    const trajectory = (t: Task) => [t.status, t.reason, t.history.map((turn) => [turn.role, turn.content]), t.state];
    const byId = (run: Run) => Object.fromEntries(run.results().map((t) => [t.id, trajectory(t)]));
    expect(byId(overNats)).toEqual(byId(local));
    const agents = new Set(overNats.results().flatMap((t) => t.history.map((turn) => turn.agent.split("/")[0])));
    expect([...agents].every((agent) => agent === "w1" || agent === "w2")).toBe(true);
    return { nats, here, tasks: overNats.results() };
  }

  it("coral runs on the workers exactly as it runs locally; the driver computes its summary", async () => {
    const { nats, here, tasks } = await bothWays("coral", { maxTurns: 4 }, 16);
    expect(tasks).toHaveLength(16);
    expect(nats.metrics).toEqual(here.metrics);
    expect(nats.metrics!.coral).toMatchObject({ tasks: 16 });
  });

  it("quickstart (what `npm start` runs) runs on the workers exactly as locally, turns over the offload threshold too", async () => {
    const { nats, here, tasks } = await bothWays("quickstart", {}, 120);
    expect(tasks).toHaveLength(120);
    expect(nats.counts).toEqual(here.counts);
    // Its extract role reads `turn.content`: turns over 1 KiB travel by reference, and it used to read null.
    const long = tasks.flatMap((t) => t.history).filter((turn) => Buffer.byteLength(turn.content ?? "") > 1024);
    expect(long.length).toBeGreaterThan(0);
  });

  it("natural-reasoning (its language module shipped to the workers) runs there exactly as locally", async () => {
    const { nats, here, tasks } = await bothWays("natural-reasoning", {}, 60);
    expect(tasks).toHaveLength(60);
    expect(nats.metrics).toEqual(here.metrics);
    const reasons = (nats.metrics!.naturalReasoning as { terminationReasons: Record<string, number> })
      .terminationReasons;
    expect(reasons.language).toBeGreaterThan(0);
    expect(Object.values(reasons).reduce((sum, n) => sum + n, 0)).toBe(60);
  });

  it("summary metrics are computed by the driver from tasks the workers finished", async () => {
    const out = tempDir();
    const p = pipeline("nats-metrics")
      .code("tag", () => ({ content: "tagged" }))
      .code("count", (task) => ((task.row!.n as number) % 3 === 0 ? { end: "filtered", reason: "third" } : {}))
      .sequence("tag", "count")
      .metric("statuses", {
        accumulate: (acc: Record<string, number>, task) => {
          acc[task.status] = (acc[task.status] ?? 0) + 1;
          // The agents ran in the worker processes (their ids name the turns), not in this process.
          if (task.history.every((turn) => /^w[12]\//.test(turn.agent))) acc.remote = (acc.remote ?? 0) + 1;
          return acc;
        },
      });
    const rows = Array.from({ length: 90 }, (_, i) => ({ id: `r${i}`, n: i }));
    const summary = await p.run({ source: rows, out, bus }).done();
    expect(summary.metrics).toEqual({ statuses: { done: 60, filtered: 30, remote: 90 } });
    expect(summary.metricsScope).toEqual({ tasks: 90, thisRun: 90, earlierRuns: 0 });
    const written = JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as RunSummary;
    expect(written.metrics).toEqual(summary.metrics);
  });
});
