/**
 * Recipes and their summary metrics over NATS: a real nats-server, `matrix worker` processes serving
 * the roles, and the driver in this process computing the summary metrics where the sink is.
 */
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createNatsBus, type NatsBus } from "../../sdk/bus/nats/index.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import type { RunSummary } from "../../sdk/schema/event.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { tempDir } from "../helpers/temp-dir.js";
import { spawnWorker, waitForReady, type WorkerProcess } from "../helpers/worker-process.js";

describeWithNats("recipes and summary metrics over NATS with worker processes", () => {
  let server: NatsServerHandle;
  let bus: NatsBus;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    bus = await createNatsBus({ servers: [server.url] });
    for (const id of ["w1", "w2"]) {
      const worker = spawnWorker(["--nats", server.url, "--id", id]);
      workers.push(worker);
    }
    await Promise.all(workers.map((worker) => waitForReady(worker)));
  }, 90_000);

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill("SIGKILL");
    await bus?.close();
    await server?.dispose();
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
