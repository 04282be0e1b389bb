/**
 * LiveMetrics on the local bus: the families fill while a run goes, the hop histograms hold every
 * hop (pre-bucketed, read back through prom-client), and GET /metrics serves them over HTTP.
 */
import { afterAll, describe, expect, it } from "vitest";
import { closeMetricsServers, LiveMetrics, pipeline } from "../../sdk/index.js";
import { FakeLlm } from "../helpers/fake-llm.js";
import { sample } from "../helpers/prometheus-text.js";

const twoRoles = pipeline("live")
  .chat("ask", { prompt: "Say something about {{row.topic}}." })
  .code("check", (task) => (task.row!.bad ? { end: "failed", reason: "bad row" } : { state: { ok: true } }))
  .sequence("ask", "check");

describe("LiveMetrics", () => {
  afterAll(() => closeMetricsServers());

  it("counts a local run's hops, tasks, tokens and LLM calls, and serves them on GET /metrics", async () => {
    const metrics = new LiveMetrics();
    const rows = Array.from({ length: 30 }, (_, i) => ({ id: `r${i}`, topic: `t${i}`, bad: i % 10 === 0 }));
    const run = twoRoles.run({ source: rows, llm: new FakeLlm(), metrics, metricsPort: 0, runId: "live-1" });
    const summary = await run.done();
    expect(summary.counts).toEqual({ done: 27, failed: 3, filtered: 0 });
    expect(run.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const response = await fetch(run.metricsUrl!);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    const ask = { run: "live-1", role: "ask" };
    expect(sample(text, "matrix_messages_received_total", ask)).toBe(30);
    expect(sample(text, "matrix_messages_processed_total", { run: "live-1", role: "check" })).toBe(30);
    expect(sample(text, "matrix_task_exceptions_total", { run: "live-1", role: "check", outcome: "failed" })).toBe(3);
    // The hop before the failing one succeeded (the local bus hands the same task object on at once).
    expect(sample(text, "matrix_task_exceptions_total", { run: "live-1", role: "ask", outcome: "failed" })).toBe(0);
    expect(sample(text, "matrix_hop_handle_seconds_count", ask)).toBe(30);
    expect(sample(text, "matrix_hop_dequeue_seconds_bucket", { ...ask, le: "+Inf" })).toBe(30);
    // Cumulative buckets: the largest finite bucket holds every fast hop.
    expect(sample(text, "matrix_hop_handle_seconds_bucket", { ...ask, le: "120" })).toBe(30);
    expect(sample(text, "matrix_tasks_started_total", { run: "live-1" })).toBe(30);
    expect(sample(text, "matrix_tasks_finished_total", { run: "live-1", status: "done" })).toBe(27);
    expect(sample(text, "matrix_tasks_finished_total", { run: "live-1", status: "failed" })).toBe(3);
    expect(sample(text, "matrix_task_e2e_seconds_count", { run: "live-1", status: "done" })).toBe(27);
    expect(sample(text, "matrix_tokens_total", { ...ask, kind: "prompt" })).toBe(300);
    expect(
      sample(text, "matrix_llm_requests_total", { ...ask, model: "fake", endpoint: "fake://", outcome: "ok" }),
    ).toBe(30);
    expect(sample(text, "matrix_llm_tokens_total", { ...ask, kind: "completion" })).toBe(150);
    expect(sample(text, "matrix_agent_in_flight", ask)).toBe(0);
    expect(sample(text, "matrix_tasks_in_flight", { run: "live-1" })).toBe(0);
    // Process metrics come from prom-client's default collectors, served beside ours.
    expect(sample(text, "process_cpu_seconds_total")).toBeGreaterThan(0);
    expect(sample(text, "nodejs_eventloop_lag_seconds")).toBeGreaterThanOrEqual(0);
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(await (await fetch(run.metricsUrl!.replace("/metrics", "/other"))).status).toBe(404);
    metrics.close();
  });

  it("forgets a finished run's series when asked (long-lived workers)", async () => {
    const metrics = new LiveMetrics();
    const run = twoRoles.run({ source: [{ id: "1", topic: "x" }], llm: new FakeLlm(), metrics, runId: "gone" });
    await run.done();
    expect(sample(await metrics.text(), "matrix_messages_processed_total", { run: "gone", role: "ask" })).toBe(1);
    metrics.forgetRun("gone", 0);
    const text = await metrics.text();
    expect(text).not.toContain('run="gone"');
    metrics.close();
  });
});
