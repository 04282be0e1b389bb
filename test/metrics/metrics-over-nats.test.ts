/**
 * After a small NATS run (a real nats-server, a worker, the built-in simulator over HTTP with injected
 * 429s), `GET /metrics` on the worker and on the driver has every family of the list, labelled
 * by run and role (model and endpoint for LLM series), with non-zero counts: messages, tasks by status,
 * exceptions, handling/dequeue histograms, queue depth and in-flight per role (scraped while tasks
 * wait), task size, end-to-end latency, tokens, LLM latency, TTFT (a streamed role), retries and errors
 * per endpoint, process CPU, memory and event-loop lag. A real Prometheus scrapes both while the run
 * goes and answers every query of the Grafana dashboard with data.
 */
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createNatsBus, type NatsBus } from "../../sdk/bus/nats/index.js";
import { startSimulator, type SimulatorHandle } from "../../sdk/llm/simulator/index.js";
import { closeMetricsServers, LiveMetrics } from "../../sdk/metrics/index.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { startWorker, type Worker } from "../../sdk/worker/worker.js";
import { describeWithNats, freePort, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { prometheusPath, startPrometheus, type PrometheusHandle } from "../helpers/prometheus.js";
import { sample } from "../helpers/prometheus-text.js";

const gates = globalThis as { __scrapeGate?: Promise<void> };

const scraped = pipeline("scraped")
  // Streamed, so the time to first token is measured.
  .chat("ask", { prompt: "Say something about {{row.topic}}.", maxTokens: 16, stream: true })
  .code(
    "tidy",
    async (task) => {
      // The test holds every task here until it has scraped the queues (the worker runs in this process).
      await (globalThis as { __scrapeGate?: Promise<void> }).__scrapeGate;
      if (task.row!.fail) throw new RangeError(`row ${task.row!.id} is marked to fail`);
      return { state: { length: (task.history.at(-1)?.content ?? "").length } };
    },
    { concurrency: 4 },
  )
  .filter("keep", (task) => !task.row!.drop || "dropped")
  .sequence("ask", "tidy", "keep");

const dashboard = JSON.parse(readFileSync("deploy/grafana/matrix-dashboard.json", "utf8")) as {
  panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
};

describeWithNats("Prometheus metrics over NATS", () => {
  let server: NatsServerHandle;
  let simulator: SimulatorHandle;
  let driverBus: NatsBus;
  let worker: Worker;
  let prometheus: PrometheusHandle | undefined;
  beforeAll(async () => {
    server = await startNatsServer();
    // One call in seven is refused with a 429 (retry-after 0): the pool retries, the endpoint counts errors.
    simulator = await startSimulator({ speed: 200, faults: { rateLimit: 0.15 }, retryAfterSeconds: 0 });
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
    await prometheus?.dispose();
    await worker?.drain();
    await driverBus?.close();
    await simulator?.close();
    await closeMetricsServers();
    await server?.dispose();
  });

  it("a worker and a driver serve every named family, labelled by run and role, with non-zero counts", async () => {
    const metrics = new LiveMetrics();
    const driverPort = await freePort();
    if (prometheusPath)
      prometheus = await startPrometheus([
        { address: new URL(worker.metricsUrl!).host, name: "w1", job: "matrix-worker" },
        { address: `127.0.0.1:${driverPort}`, name: "driver", job: "matrix-driver" },
      ]);
    else if (process.env.CI === "true")
      throw new Error("prometheus is not installed; CI must run this (apt-get install prometheus)");

    let open!: () => void;
    gates.__scrapeGate = new Promise<void>((resolve) => (open = resolve));
    // 40 rows: 4 fail in `tidy` (dead letters), 4 are dropped by `keep` (filtered), 32 finish.
    const rows = Array.from({ length: 40 }, (_, i) => ({
      id: `r${i}`,
      topic: `topic ${i}`,
      fail: i % 10 === 3,
      drop: i % 10 === 7,
    }));
    const run = scraped.run({
      source: rows,
      bus: driverBus,
      // The run names its LLM (workers use the run's choice; their own `llm` is for `llm: "workers"` runs).
      llm: simulator.baseUrl,
      metrics,
      metricsPort: driverPort,
      runId: "scrape-1",
    });
    try {
      // Every task has been asked (the hop events say so) and waits at `tidy`, which holds four.
      await new Promise<void>((resolve) => {
        let asked = 0;
        const stop = run.subscribe((event) => {
          if (event.type === "hop-end" && event.role === "ask" && ++asked === 40) {
            stop();
            resolve();
          }
        });
      });
      const waiting = await (await fetch(run.metricsUrl!)).text();
      expect(sample(waiting, "matrix_queue_depth", { run: "scrape-1", role: "tidy" })).toBeGreaterThan(0);
      expect(sample(waiting, "matrix_tasks_in_flight", { run: "scrape-1" })).toBe(40);
      const holding = await (await fetch(worker.metricsUrl!)).text();
      const heldByTidy = sample(holding, "matrix_agent_in_flight", { run: "scrape-1", role: "tidy", worker: "w1" });
      expect(heldByTidy).toBeGreaterThanOrEqual(1);
      expect(heldByTidy).toBeLessThanOrEqual(4);
      expect(sample(holding, "matrix_queue_depth", { run: "scrape-1", role: "tidy", worker: "w1" })).toBeGreaterThan(0);
      // Prometheus too sees the queue while it waits (it scrapes every second).
      if (prometheus) {
        const deadline = Date.now() + 60_000;
        let seen: Awaited<ReturnType<PrometheusHandle["query"]>> = [];
        while (Date.now() < deadline && seen.length === 0) {
          seen = await prometheus.query('max by (role) (matrix_queue_depth{run="scrape-1",role="tidy"}) > 0');
          if (seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 250));
        }
        expect(seen.map((r) => r.metric.role)).toEqual(["tidy"]);
      }
    } finally {
      open();
    }
    const summary = await run.done();
    expect(summary.counts).toEqual({ done: 32, failed: 4, filtered: 4 });

    // The worker: agents' families by run and role (and the worker's id).
    const workerText = await (await fetch(worker.metricsUrl!)).text();
    const at = (role: string) => ({ run: "scrape-1", role, worker: "w1" });
    expect(sample(workerText, "matrix_messages_received_total", at("ask"))).toBe(40);
    expect(sample(workerText, "matrix_messages_received_total", at("keep"))).toBe(36);
    expect(sample(workerText, "matrix_messages_processed_total", at("tidy"))).toBe(40);
    expect(sample(workerText, "matrix_task_exceptions_total", { ...at("tidy"), outcome: "failed" })).toBe(4);
    expect(sample(workerText, "matrix_hop_handle_seconds_count", at("ask"))).toBe(40);
    expect(sample(workerText, "matrix_hop_handle_seconds_sum", at("ask"))).toBeGreaterThan(0);
    expect(sample(workerText, "matrix_hop_dequeue_seconds_count", at("keep"))).toBe(36);
    // Tasks waited at `tidy` while the gate was shut.
    expect(sample(workerText, "matrix_hop_dequeue_seconds_sum", at("tidy"))).toBeGreaterThan(0);
    // Every hop's task arrived as a NATS message; its size is known for free.
    expect(sample(workerText, "matrix_task_size_bytes_count", at("keep"))).toBe(36);
    expect(sample(workerText, "matrix_task_size_bytes_sum", at("keep"))).toBeGreaterThan(36 * 200);
    expect(sample(workerText, "matrix_agent_in_flight", at("tidy"))).toBe(0);
    // LLM calls by role, model and endpoint; the endpoint's own counters.
    const endpoint = simulator.baseUrl.replace(/\/$/, "");
    const llm = { run: "scrape-1", role: "ask", endpoint, worker: "w1" };
    expect(sample(workerText, "matrix_llm_requests_total", { ...llm, outcome: "ok" })).toBe(40);
    expect(sample(workerText, "matrix_llm_request_seconds_count", llm)).toBe(40);
    expect(sample(workerText, "matrix_llm_ttft_seconds_count", llm)).toBe(40);
    expect(sample(workerText, "matrix_llm_ttft_seconds_sum", llm)).toBeGreaterThan(0);
    expect(sample(workerText, "matrix_llm_tokens_total", { ...llm, kind: "prompt" })).toBeGreaterThan(0);
    expect(sample(workerText, "matrix_llm_tokens_total", { ...llm, kind: "completion" })).toBeGreaterThan(0);
    expect(workerText).toMatch(/matrix_llm_requests_total\{[^}]*model="[^"]+"/);
    const retries = sample(workerText, "matrix_llm_retries_total", llm)!;
    expect(retries).toBeGreaterThan(0);
    expect(sample(workerText, "matrix_llm_endpoint_retries_total", { endpoint })).toBe(retries);
    expect(sample(workerText, "matrix_llm_endpoint_errors_total", { endpoint, kind: "429" })).toBe(retries);
    expect(sample(workerText, "matrix_llm_endpoint_requests_total", { endpoint })).toBe(40 + retries);
    expect(sample(workerText, "matrix_llm_endpoint_up", { endpoint })).toBe(1);
    // The process: CPU, memory, event-loop lag.
    expect(sample(workerText, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(sample(workerText, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(sample(workerText, "nodejs_eventloop_lag_p99_seconds")).toBeGreaterThan(0);

    // The driver: tasks by status, end-to-end latency, tokens by role.
    const driverText = await (await fetch(run.metricsUrl!)).text();
    const runLabel = { run: "scrape-1" };
    expect(sample(driverText, "matrix_tasks_started_total", runLabel)).toBe(40);
    expect(sample(driverText, "matrix_tasks_finished_total", { ...runLabel, status: "done" })).toBe(32);
    expect(sample(driverText, "matrix_tasks_finished_total", { ...runLabel, status: "failed" })).toBe(4);
    expect(sample(driverText, "matrix_tasks_finished_total", { ...runLabel, status: "filtered" })).toBe(4);
    expect(sample(driverText, "matrix_task_e2e_seconds_count", { ...runLabel, status: "done" })).toBe(32);
    expect(sample(driverText, "matrix_task_e2e_seconds_sum", { ...runLabel, status: "done" })).toBeGreaterThan(0);
    expect(sample(driverText, "matrix_tasks_in_flight", runLabel)).toBe(0);
    // The run is over and its queues are gone from NATS: they read 0 (until the run is forgotten).
    expect(sample(driverText, "matrix_queue_depth", { ...runLabel, role: "tidy" })).toBe(0);
    for (const kind of ["prompt", "completion"])
      expect(sample(driverText, "matrix_tokens_total", { ...runLabel, role: "ask", kind })).toBeGreaterThan(0);
    expect(sample(driverText, "matrix_run_info", { ...runLabel, pipeline: "scraped" })).toBe(1);
    expect(sample(driverText, "process_cpu_seconds_total")).toBeGreaterThan(0);
    // Hops ran in the worker, not here: the driver does not count them again.
    expect(sample(driverText, "matrix_messages_processed_total", { ...runLabel, role: "ask" })).toBeUndefined();
    metrics.close();

    if (!prometheus) return;
    // Prometheus scraped both while the run went; wait until it holds the final counts of both.
    const processedByRole = async () =>
      Object.fromEntries(
        (await prometheus!.query('sum by (role) (matrix_messages_processed_total{run="scrape-1"})')).map((r) => [
          r.metric.role,
          Number(r.value[1]),
        ]),
      );
    const finishedDone = async () =>
      Number(
        (await prometheus!.query('matrix_tasks_finished_total{run="scrape-1",status="done",job="matrix-driver"}'))[0]
          ?.value[1],
      );
    const final = { ask: 40, keep: 36, tidy: 40 }; // sorted by role, as sum by (role) answers
    const deadline = Date.now() + 60_000;
    while (
      Date.now() < deadline &&
      ((await finishedDone()) !== 32 ||
        JSON.stringify(await processedByRole(), Object.keys(final)) !== JSON.stringify(final))
    )
      await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await finishedDone()).toBe(32);
    expect(await processedByRole()).toEqual(final);
    // Two more scrapes of each target, so every series holds the two samples a rate() needs.
    const scrapes = async () =>
      Math.min(...(await prometheus!.query("count_over_time(up[5m])")).map((r) => Number(r.value[1])));
    const enough = (await scrapes()) + 2;
    while (Date.now() < deadline && (await scrapes()) < enough)
      await new Promise((resolve) => setTimeout(resolve, 250));
    expect(await scrapes()).toBeGreaterThanOrEqual(enough);
    // Every query of the Grafana dashboard, with its `run` variable set, is valid PromQL to this
    // Prometheus and returns series: each panel has something to draw for a real run.
    const empty: string[] = [];
    for (const panel of dashboard.panels)
      for (const target of panel.targets ?? []) {
        const expr = target.expr.replaceAll("$run", "scrape-1");
        const result = await prometheus.query(expr); // throws on a parse or type error
        if (result.length === 0) empty.push(`${panel.title}: ${expr}`);
      }
    expect(empty).toEqual([]);
  });
});
