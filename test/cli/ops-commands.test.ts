/**
 * The operations commands as a user types them: `matrix dlq list|show|retry --out`, `matrix fork`,
 * `matrix run` with a budget, `--metrics-port` and `--log-level`, and `matrix cluster up --monitoring`
 * starting a real Prometheus that scrapes the workers.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { ClusterState } from "../../sdk/cli/cluster-command.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import type { Task } from "../../sdk/schema/task.js";
import { readJsonl } from "../helpers/jsonl.js";
import { describeWithNats } from "../helpers/nats-server.js";
import { prometheusPath } from "../helpers/prometheus.js";
import { runCli } from "../helpers/captured-cli.js";
import { tempDir } from "../helpers/temp-dir.js";

function matrix(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { OPENAI_BASE_URL: _url, OPENAI_BASE_URLS: _urls, ...rest } = process.env;
  return spawnSync(process.execPath, ["bin/matrix.js", ...args], {
    encoding: "utf8",
    env: { ...rest, MATRIX_LOG_LEVEL: "error", ...env },
    timeout: 120_000,
  });
}

/** `matrix ...` in this process, for the quick commands, without the LLM settings of the test's environment. */
function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { OPENAI_BASE_URL: _url, OPENAI_BASE_URLS: _urls, ...rest } = process.env;
  return runCli(args, { ...rest, ...env });
}

const sqrt = pipeline("sqrt")
  .source([
    { id: "a", x: 9 },
    { id: "b", x: -4 },
    { id: "c", x: 1 },
  ])
  .code("parse", (task) => ({ state: { x: Number(task.row!.x) } }))
  .code("solve", (task) => {
    if ((task.state.x as number) < 0) throw new RangeError("x is negative");
    return { content: `sqrt=${Math.sqrt(task.state.x as number)}` };
  });

const talk = pipeline("talk")
  .source(Array.from({ length: 40 }, (_, i) => ({ id: `t${i}`, topic: `topic ${i}` })))
  .chat("teacher", { prompt: "Teach {{row.topic}}.", maxTokens: 24 })
  .chat("student", { prompt: "Learn {{row.topic}}.", maxTokens: 24 })
  .conversation({ roles: ["teacher", "student"], maxTurns: 3 });

function writePipeline(dir: string, name: string, built: { toJSON(): unknown }): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(built.toJSON()));
  return file;
}

describe("matrix dlq, fork and run budgets", () => {
  it("lists, shows and retries a dead letter from an output directory; the output stays exactly-once", async () => {
    const dir = tempDir();
    const file = writePipeline(dir, "sqrt", sqrt);
    const out = join(dir, "out");
    const run = matrix(["run", file, "--out", out, "--quiet"]);
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout).counts).toEqual({ done: 2, failed: 1, filtered: 0 });

    const list = matrix(["dlq", "list", "--out", out]);
    expect(list.status, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^b\tsolve\t0\t0\topen\tAgentError: .*x is negative/m);
    // The rest in-process (main with captured streams): each process start costs seconds on a loaded machine.
    const show = await cli(["dlq", "show", "b", "--out", out]);
    expect(JSON.parse(show.out)).toMatchObject({ id: "b", status: "failed", state: { x: -4 } });
    expect((await cli(["dlq", "show", "zz", "--out", out])).err).toContain("no dead letter 'zz'");

    const retry = await cli(["dlq", "retry", "b", "--out", out, "--patch", '{"state":{"x":16}}', "--quiet"]);
    expect(retry.code, retry.err).toBe(0);
    expect(retry.err).toContain("1 done, 0 failed again");
    const written = readJsonl<Task>(join(out, "output.jsonl"));
    expect(written.map((task) => task.id).sort()).toEqual(["a", "b", "c"]);
    expect(written.find((task) => task.id === "b")!.history.at(-1)!.content).toBe("sqrt=4");
    expect(JSON.parse((await cli(["dlq", "list", "--out", out, "--json"])).out)).toEqual([]);
    expect((await cli(["dlq", "list"])).err).toContain("--out DIR");
    expect((await cli(["dlq", "retry", "b", "--out", out, "--patch", "{nope"])).err).toContain("--patch");
  });

  it("forks a finished conversation from turn 1 with a changed role, and stops a run at its token budget", async () => {
    const dir = tempDir();
    const file = writePipeline(dir, "talk", talk);
    const out = join(dir, "out");
    const first = await cli(["run", file, "--out", out, "--rows", "2", "--quiet"]);
    expect(first.code, first.err).toBe(0);
    const original = readJsonl<Task>(join(out, "output.jsonl")).find((task) => task.id === "t0")!;

    const fork = await cli(["fork", "t0", "--out", out, "--from-turn", "1", "--set", "student.temperature=1.5"]);
    expect(fork.code, fork.err).toBe(0);
    const forked = JSON.parse(fork.out) as Task;
    expect(forked).toMatchObject({ forkOf: "t0", fromTurn: 1, status: "done" });
    expect(forked.history).toHaveLength(3);
    expect(forked.history[0]).toEqual(original.history[0]);
    expect(readJsonl<Task>(join(out, "forks", "output.jsonl")).map((task) => task.id)).toEqual([forked.id]);
    expect((await cli(["fork", "t0", "--out", out, "--set", "nobody.temperature=1"])).err).toContain(
      "no role 'nobody'",
    );

    // A real process: its log lines (JSON on a pipe) are part of what is checked.
    const budgeted = matrix(
      [
        "run",
        file,
        "--out",
        join(dir, "b"),
        "--quiet",
        "--budget-tokens",
        "400",
        "--max-in-flight",
        "4",
        "--log-level",
        "info",
        "--metrics-port",
        "0",
      ],
      { MATRIX_LOG_LEVEL: "" },
    );
    expect(budgeted.status, budgeted.stderr).toBe(0);
    const summary = JSON.parse(budgeted.stdout);
    expect(summary.budget).toMatchObject({ limit: "run.tokens", limitValue: 400, onLimit: "finish" });
    expect(summary.counts.done).toBeLessThan(40);
    // Stopped at the limit: what was spent after it is at most what the (at most 4) tasks in flight spent.
    const tasks = readJsonl<Task>(join(dir, "b", "output.jsonl"));
    const spent = (task: Task) =>
      Object.values(task.usage).reduce((sum, usage) => sum + usage.promptTokens + usage.completionTokens, 0);
    const largest = Math.max(...tasks.map(spent));
    expect(summary.budget.spent.tokens).toBe(tasks.reduce((sum, task) => sum + spent(task), 0));
    expect(summary.budget.spent.tokens).toBeLessThanOrEqual(400 + 4 * largest);
    expect(budgeted.stderr).toContain(
      `budget limit run.tokens (400) reached; feeding stopped, the tasks in flight finished: ${summary.budget.spent.tokens} tokens spent in all`,
    );
    expect(budgeted.stderr).toMatch(/^matrix run: metrics: http:\/\/127\.0\.0\.1:\d+\/metrics$/m);
    // --log-level info: JSON lines (stderr is not a terminal) carrying the run id.
    const lines = budgeted.stderr
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const served = lines.find((line) => line.msg === "serving Prometheus metrics");
    expect(served).toMatchObject({ runId: summary.runId });
    expect(String(served!.url)).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(lines.find((line) => line.msg === "budget reached; stopping the run")).toMatchObject({
      limit: "run.tokens",
    });
  });
});

describeWithNats("matrix cluster up --monitoring", () => {
  it("starts Prometheus scraping every worker's /metrics, or says Prometheus is missing", async () => {
    const dir = tempDir();
    if (!prometheusPath) {
      if (process.env.CI === "true") throw new Error("prometheus is not installed; CI must run this");
      return;
    }
    const up = matrix(["cluster", "up", "--workers", "1", "--dir", dir, "--monitoring"]);
    expect(up.status, up.stderr).toBe(0);
    const state = JSON.parse(readFileSync(join(dir, "cluster.json"), "utf8")) as ClusterState;
    try {
      expect(state.processes.map((p) => p.name)).toEqual(["nats", "simulator", "endpoint", "worker-1", "prometheus"]);
      expect(up.stdout).toContain(`Prometheus ${state.prometheusUrl}`);
      // A driver started as `up` suggests is scraped too.
      const driverPort = new URL(state.driverMetricsUrl!).port;
      expect(up.stdout).toContain(
        `matrix run quickstart --bus nats --nats ${state.natsUrl} --metrics-port ${driverPort}`,
      );
      expect(readFileSync(join(dir, "prometheus.yml"), "utf8")).toContain(`"127.0.0.1:${driverPort}"`);
      const workerMetrics = await (await fetch(state.metrics![0]!.url)).text();
      expect(workerMetrics).toContain("process_cpu_seconds_total");
      // Prometheus scrapes every 5 s; wait for the first scrape of the worker to be recorded.
      let up1: Array<{ metric: Record<string, string>; value: [number, string] }> = [];
      for (let attempt = 0; attempt < 60 && up1.length === 0; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 500));
        const response = await fetch(
          `${state.prometheusUrl}/api/v1/query?query=${encodeURIComponent('up{job="matrix-worker"}==1')}`,
        );
        up1 = ((await response.json()) as { data: { result: typeof up1 } }).data.result;
      }
      expect(up1.map((sample) => sample.metric.instance)).toEqual(["local-1"]);
    } finally {
      const down = matrix(["cluster", "down", "--dir", dir]);
      expect(down.stdout).toContain("stopped prometheus");
    }
    // Without the binary (in-process: one more cluster up costs no extra process start).
    const missing = await cli(["cluster", "up", "--workers", "0", "--dir", join(dir, "again"), "--monitoring"], {
      PROMETHEUS_BIN: join(dir, "no-such-prometheus"),
    });
    try {
      expect(missing.code, missing.err).toBe(0);
      expect(missing.err).toContain("Prometheus is not installed (apt-get install prometheus");
      expect(missing.out).toContain("no Prometheus: not installed");
    } finally {
      await cli(["cluster", "down", "--dir", join(dir, "again")]);
    }
    // Four real processes (nats-server, the simulator, the endpoint keeper, a worker) and Prometheus start
    // and stop here, as in cluster-command.test.ts.
  }, 180_000);
});
