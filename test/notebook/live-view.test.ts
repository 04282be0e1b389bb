/**
 * The live view without Jupyter (a recording display target): one display updated in place, the
 * panel redrawn often and plots only within their time budget, a final frame in the finished run's
 * state, runs side by side, a failed run's error reaching the cell; and the plots' values (pure
 * functions of the run's metrics) checked against the run.
 */
import { afterEach, describe, expect, it } from "vitest";
import { pipeline } from "../../sdk/index.js";
import type { RunProgress } from "../../sdk/driver/run.js";
import { ConfigError } from "../../sdk/errors.js";
import { RunMetrics } from "../../sdk/metrics/run-metrics.js";
import {
  JUPYTER_DISPLAY,
  LiveView,
  MAX_POINTS,
  dashboard,
  downsample,
  livePlotValues,
  setDisplayTarget,
  watch,
  type MimeBundle,
} from "../../sdk/notebook/index.js";

interface Published {
  bundle: MimeBundle;
  display?: { id: string; update: boolean };
}

function record(): Published[] {
  const published: Published[] = [];
  setDisplayTarget({ publish: (bundle, display) => published.push({ bundle, ...(display ? { display } : {}) }) });
  return published;
}
afterEach(() => setDisplayTarget(undefined));

const slow = pipeline("live")
  .code("work", async (task) => {
    await new Promise((resolve) => setTimeout(resolve, 15));
    return { state: { score: (Number(String(task.id).slice(1)) % 5) + 1, label: `row ${task.id}` } };
  })
  .code("check", () => ({ state: { checked: true } }));
const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}` }));
const html = (published: Published) => String(published.bundle["text/html"]);
const plotData = (frame: string, kind: string) => {
  const match = new RegExp(`data-kind="${kind}"[\\s\\S]*?class="matrix-plot-data">(.*?)</script>`).exec(frame);
  return match ? (JSON.parse(match[1]!) as Array<Record<string, number | string>>) : undefined;
};

describe("watch and dashboard", () => {
  it("keep one display, updated in place, ending in the finished run's state", async () => {
    const published = record();
    const run = slow.run({ source: rows(30), concurrency: 1 });
    const final = await run.dashboard({ intervalMs: 20 });
    expect(published.length).toBeGreaterThan(2);
    expect(new Set(published.map((p) => p.display?.id)).size).toBe(1);
    expect(published.map((p) => p.display!.update)).toEqual(published.map((_, index) => index > 0));
    expect(html(published[0]!)).toContain('data-state="running"');
    const frame = html(published.at(-1)!);
    expect(frame).toContain('data-state="finished"');
    expect(frame).toContain('data-done="30"');
    expect(frame).toContain("latest finished rows");
    const throughput = plotData(frame, "throughput")!;
    expect(throughput.at(-1)!.finished).toBe(30);
    const finished = throughput.map((point) => point.finished as number);
    expect(finished).toEqual([...finished].sort((a, b) => a - b));
    expect(new Set(plotData(frame, "queues")!.map((point) => point.role))).toEqual(new Set(["work", "check"]));
    expect(new Set(plotData(frame, "latency")!.map((point) => point.role))).toEqual(new Set(["work", "check"]));
    expect(final.done).toBe(30);
    expect(final.finished).toBe(true);
  });

  it("redraws plots only as often as their budget allows, and the panel every interval", async () => {
    record();
    const limited = new LiveView([slow.run({ source: rows(40), concurrency: 2 })], {
      intervalMs: 10,
      plots: ["throughput"],
      plotIntervalMs: 10_000,
    });
    await limited.start();
    // The 10 s floor kept every plot frame away but the final one; panels kept coming.
    expect(limited.stats.plotFrames).toBe(1);
    expect(limited.stats.frames).toBeGreaterThan(5);
    expect(limited.stats.lastPlotMs).toBeGreaterThan(0);
    const free = new LiveView([slow.run({ source: rows(40), concurrency: 2 })], {
      intervalMs: 10,
      plots: ["throughput"],
      plotIntervalMs: 0,
      plotBudget: 1,
    });
    await free.start();
    expect(free.stats.plotFrames).toBeGreaterThan(1);
    expect(free.stats.plotMs).toBeGreaterThanOrEqual(free.stats.lastPlotMs);
  });

  it("watches several runs side by side and resolves to each one's progress", async () => {
    const published = record();
    const a = slow.run({ source: rows(6) });
    const b = slow.run({ source: rows(9) });
    const [first, second] = (await watch([a, b], { rows: 3 })) as [RunProgress, RunProgress];
    expect([first.done, second.done]).toEqual([6, 9]);
    const frame = html(published.at(-1)!);
    expect(frame.match(/class="matrix-live-run"/g)).toHaveLength(2);
    expect(frame).toContain(`data-run-id="${a.runId}"`);
    expect(frame).toContain(`data-run-id="${b.runId}"`);
    expect(String(published.at(-1)!.bundle["text/plain"]).split("\n")).toHaveLength(2);
  });

  it("shows a failed run's last numbers, then throws its error to the cell", async () => {
    const published = record();
    const source = (async function* () {
      yield { id: "1" };
      throw new Error("source broke");
    })();
    const run = pipeline("broken")
      .code("a", () => undefined)
      .run({ source });
    await expect(watch(run)).rejects.toThrow("source broke");
    expect(html(published.at(-1)!)).toContain('data-state="finished"');
  });

  it("refuses an unknown plot kind with a ConfigError", async () => {
    record();
    const run = slow.run({ source: rows(1) });
    await expect(watch(run, { plots: ["pie" as "throughput"] })).rejects.toBeInstanceOf(ConfigError);
    await run.done();
  });

  it("resolves to a progress that prints as one line and is not shown again as the cell's value", async () => {
    record();
    const final = await dashboard(slow.run({ source: rows(3) }), { plots: [] });
    const bundle = (final as unknown as Record<symbol, () => MimeBundle>)[JUPYTER_DISPLAY]!();
    expect(String(bundle["text/html"])).toContain("matrix-progress");
    expect(Object.keys(final)).not.toContain(JUPYTER_DISPLAY.toString());
    expect(JSON.parse(JSON.stringify(final)).done).toBe(3);
  });
});

describe("live plot values", () => {
  it("downsample keeps at most the limit, evenly, with the first and last", () => {
    const items = Array.from({ length: 1000 }, (_, i) => i);
    const picked = downsample(items, 10);
    expect(picked).toHaveLength(10);
    expect(picked[0]).toBe(0);
    expect(picked.at(-1)).toBe(999);
    expect(downsample([1, 2, 3], 10)).toEqual([1, 2, 3]);
  });

  it("throughput rates integrate to the finished count; series stay bounded for long runs", () => {
    const metrics = new RunMetrics(0);
    const progress = (done: number, t: number): RunProgress => ({
      runId: "r",
      pipeline: "p",
      done,
      failed: 0,
      filtered: 0,
      skipped: 0,
      badRows: 0,
      inFlight: 0,
      fed: done,
      hops: done,
      promptTokens: 0,
      completionTokens: done * 10,
      elapsedMs: t * 1000,
      rowsPerSecond: 0,
      tokensPerSecond: 0,
      queueDepth: { a: done % 3 },
      finished: false,
    });
    for (let second = 0; second <= 2000; second++) metrics.sample(progress(second * 2, second), second * 1000);
    const values = livePlotValues("throughput", metrics, progress(4000, 2000)) as Array<{
      t: number;
      finished: number;
      rowsPerSecond: number;
    }>;
    expect(values.length).toBeLessThanOrEqual(MAX_POINTS + 1);
    expect(values.at(-1)!.finished).toBe(4000);
    let integral = values[0]!.finished;
    for (let i = 1; i < values.length; i++) integral += values[i]!.rowsPerSecond * (values[i]!.t - values[i - 1]!.t);
    expect(integral).toBeCloseTo(4000, 0);
    expect((livePlotValues("queues", metrics, progress(4000, 2000)) as unknown[]).length).toBeLessThanOrEqual(
      MAX_POINTS + 1,
    );
  });

  it("latency holds p50 and p95 per role per window; tokens are binned per task", () => {
    const metrics = new RunMetrics(0);
    for (let i = 0; i < 100; i++) {
      metrics.hops.push({ role: "a", queueMs: 0, handleMs: i + 1, tokens: 0, t: 0.5 });
      metrics.hops.push({ role: "b", queueMs: 0, handleMs: 10, tokens: 0, t: 0.5 });
    }
    metrics.taskTokens.push(10, 11, 12, 12, 40);
    const latency = livePlotValues("latency", metrics, {} as RunProgress) as Array<{
      role: string;
      quantile: string;
      ms: number;
    }>;
    const of = (role: string, quantile: string) => latency.find((v) => v.role === role && v.quantile === quantile)!.ms;
    expect(of("a", "p50")).toBe(51);
    expect(of("a", "p95")).toBe(96);
    expect(of("b", "p95")).toBe(10);
    const tokens = livePlotValues("tokens", metrics, {} as RunProgress) as Array<{ tasks: number }>;
    expect(tokens.reduce((sum, bin) => sum + bin.tasks, 0)).toBe(5);
  });
});
