/**
 * After a small NATS run (a real nats-server, a worker, the built-in simulator over HTTP), `GET /metrics`
 * on the worker and on the driver has the named families with run and role labels and non-zero counts;
 * a real Prometheus scrapes both and answers queries by role.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createNatsBus, type NatsBus } from "../../sdk/bus/nats/index.js";
import { startSimulator, type SimulatorHandle } from "../../sdk/llm/simulator/index.js";
import { closeMetricsServers, LiveMetrics } from "../../sdk/metrics/index.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { startWorker, type Worker } from "../../sdk/worker/worker.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { prometheusPath, startPrometheus } from "../helpers/prometheus.js";
import { sample } from "../helpers/prometheus-text.js";

const twoRoles = pipeline("scraped")
  .chat("ask", { prompt: "Say something about {{row.topic}}.", maxTokens: 16 })
  .code("tidy", (task) => ({ state: { length: (task.history.at(-1)?.content ?? "").length } }))
  .sequence("ask", "tidy");

describeWithNats("Prometheus metrics over NATS", () => {
  let server: NatsServerHandle;
  let simulator: SimulatorHandle;
  let driverBus: NatsBus;
  let worker: Worker;
  beforeAll(async () => {
    server = await startNatsServer();
    simulator = await startSimulator({ speed: 200 });
    driverBus = await createNatsBus({ servers: [server.url] });
    worker = await startWorker({
      bus: await createNatsBus({ servers: [server.url] }),
      id: "w1",
      llm: simulator.baseUrl,
      metricsPort: 0,
      heartbeatMs: 1000,
    });
  });
  afterAll(async () => {
    await worker?.drain();
    await driverBus?.close();
    await simulator?.close();
    await closeMetricsServers();
    await server?.dispose();
  });

  it("a worker and a driver serve the named families, labelled by run and role, with non-zero counts", async () => {
    const metrics = new LiveMetrics();
    const rows = Array.from({ length: 40 }, (_, i) => ({ id: `r${i}`, topic: `topic ${i}` }));
    // The run names its LLM (workers use the run's choice; their own `llm` is for `llm: "workers"` runs).
    const run = twoRoles.run({
      source: rows,
      bus: driverBus,
      llm: simulator.baseUrl,
      metrics,
      metricsPort: 0,
      runId: "scrape-1",
    });
    const summary = await run.done();
    expect(summary.counts.done).toBe(40);

    const workerText = await (await fetch(worker.metricsUrl!)).text();
    const ask = { run: "scrape-1", role: "ask", worker: "w1" };
    const tidy = { run: "scrape-1", role: "tidy", worker: "w1" };
    expect(sample(workerText, "matrix_messages_received_total", ask)).toBe(40);
    expect(sample(workerText, "matrix_messages_processed_total", tidy)).toBe(40);
    expect(sample(workerText, "matrix_hop_handle_seconds_count", ask)).toBe(40);
    expect(sample(workerText, "matrix_hop_dequeue_seconds_count", tidy)).toBe(40);
    // Every hop's task arrived as a NATS message; its size is known for free.
    expect(sample(workerText, "matrix_task_size_bytes_count", tidy)).toBe(40);
    expect(sample(workerText, "matrix_task_size_bytes_sum", tidy)).toBeGreaterThan(40 * 200);
    const endpoint = simulator.baseUrl.replace(/\/$/, "");
    const llmCalls = workerText
      .split("\n")
      .filter((line) => line.startsWith("matrix_llm_requests_total{") && line.includes('outcome="ok"'));
    expect(llmCalls.join("\n")).toContain('role="ask"');
    expect(llmCalls.join("\n")).toContain(`endpoint="${endpoint}`);
    expect(Number(llmCalls[0]!.split(" ").at(-1))).toBe(40);
    expect(workerText).toMatch(/matrix_llm_request_seconds_count\{[^}]*role="ask"[^}]*\} 40/);
    expect(workerText).toMatch(/matrix_llm_tokens_total\{[^}]*kind="completion"[^}]*\} [1-9]/);
    expect(workerText).toMatch(/matrix_llm_endpoint_requests_total\{[^}]*\} 40/);
    expect(workerText).toContain("# TYPE matrix_queue_depth gauge");
    expect(sample(workerText, "matrix_agent_in_flight", ask)).toBe(0);
    expect(sample(workerText, "process_cpu_seconds_total")).toBeGreaterThan(0);

    const driverText = await (await fetch(run.metricsUrl!)).text();
    expect(sample(driverText, "matrix_tasks_started_total", { run: "scrape-1" })).toBe(40);
    expect(sample(driverText, "matrix_tasks_finished_total", { run: "scrape-1", status: "done" })).toBe(40);
    expect(sample(driverText, "matrix_task_e2e_seconds_count", { run: "scrape-1", status: "done" })).toBe(40);
    expect(
      sample(driverText, "matrix_tokens_total", { run: "scrape-1", role: "ask", kind: "completion" }),
    ).toBeGreaterThan(0);
    // Hops ran in the worker, not here: the driver does not count them again.
    expect(sample(driverText, "matrix_messages_processed_total", { run: "scrape-1", role: "ask" })).toBeUndefined();
    metrics.close();

    if (!prometheusPath) {
      if (process.env.CI === "true")
        throw new Error("prometheus is not installed; CI must run this (apt-get install prometheus)");
      return;
    }
    const prometheus = await startPrometheus([
      { address: new URL(worker.metricsUrl!).host, name: "w1", job: "matrix-worker" },
      { address: new URL(run.metricsUrl!).host, name: "driver", job: "matrix-driver" },
    ]);
    try {
      const deadline = Date.now() + 30_000;
      let processed: Awaited<ReturnType<typeof prometheus.query>> = [];
      let finished: typeof processed = [];
      while (Date.now() < deadline && (processed.length < 2 || finished.length === 0)) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        processed = await prometheus.query('sum by (role) (matrix_messages_processed_total{run="scrape-1"})');
        finished = await prometheus.query(
          'matrix_tasks_finished_total{run="scrape-1",status="done",job="matrix-driver"}',
        );
      }
      expect(Object.fromEntries(processed.map((r) => [r.metric.role, Number(r.value[1])]))).toEqual({
        ask: 40,
        tidy: 40,
      });
      expect(Number(finished[0]!.value[1])).toBe(40);
    } finally {
      await prometheus.dispose();
    }
  });
});
