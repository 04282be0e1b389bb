/**
 * `matrix cluster up/down` and `matrix status` against real processes: up starts nats-server, a
 * simulator and workers and records their pids; status sees the workers; down stops exactly those.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import type { ClusterState } from "../../sdk/cli/cluster-command.js";
import type { Task } from "../../sdk/schema/task.js";
import { describeWithNats } from "../helpers/nats-server.js";
import { tempDir } from "../helpers/temp-dir.js";

const matrix = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ["bin/matrix.js", ...args], {
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, MATRIX_LOG_LEVEL: "error", ...env },
  });

/** LLM turns written by a run: every one was a chat call. */
const chatCallsOf = (out: string) =>
  readFileSync(join(out, "output.jsonl"), "utf8")
    .split("\n")
    .filter(Boolean)
    .reduce((sum, line) => sum + (JSON.parse(line) as Task).history.filter((turn) => turn.model).length, 0);

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describeWithNats("matrix cluster and matrix status", () => {
  it("up starts NATS, a simulator and workers; status lists them; down stops exactly those pids", async () => {
    const dir = tempDir();
    const up = matrix(["cluster", "up", "--workers", "2", "--dir", dir]);
    expect(up.status, up.stderr).toBe(0);
    expect(up.stdout).toContain(join(dir, "nats"));
    const state = JSON.parse(readFileSync(join(dir, "cluster.json"), "utf8")) as ClusterState;
    expect(state.processes.map((p) => p.name)).toEqual(["nats", "simulator", "endpoint", "worker-1", "worker-2"]);
    try {
      // `up` returns once every worker has registered, so status lists both at once: no polling, and
      // no assumption about which of the two started first.
      expect(up.stdout).toContain("workers    2 registered");
      const status = matrix(["status", "--nats", state.natsUrl]).stdout;
      expect(status).toContain("Workers (2)");
      expect(status).toContain("local-1");
      expect(status).toContain("local-2");
      const json = JSON.parse(matrix(["status", "--nats", state.natsUrl, "--json"]).stdout);
      expect(json.workers.map((w: { id: string }) => w.id).sort()).toEqual(["local-1", "local-2"]);
      // `matrix run --bus nats` drives the cluster's workers (chat roles answered by its simulator).
      const out = tempDir();
      const run = matrix([
        "run",
        "quickstart",
        "--bus",
        "nats",
        "--nats",
        state.natsUrl,
        "--rows",
        "10",
        "--out",
        out,
        "--quiet",
      ]);
      expect(run.status, run.stderr).toBe(0);
      const summary = JSON.parse(run.stdout);
      expect(summary.counts).toEqual({ done: 10, failed: 0, filtered: 0 });
      // The driver said which LLM the workers would use: the simulator `up` registered.
      expect(run.stderr).toContain(
        `matrix run: LLM: the endpoints registered on NATS (matrix endpoint register): ${state.llmUrl} (simulator)`,
      );
      // Started without --llm, the run used the cluster's simulator (registered as an endpoint), not one
      // simulator per worker: every chat call of the run reached it.
      const metrics = await (await fetch(`${state.llmUrl.replace(/\/v1$/, "")}/metrics`)).text();
      const served = [...metrics.matchAll(/^vllm:request_success_total\{[^}]*\} (\S+)$/gm)].reduce(
        (sum, match) => sum + Number(match[1]),
        0,
      );
      expect(served).toBeGreaterThan(0);
      expect(served).toBe(chatCallsOf(out));
    } finally {
      const down = matrix(["cluster", "down", "--dir", dir]);
      expect(down.status, down.stderr).toBe(0);
    }
    for (const p of state.processes) expect(alive(p.pid)).toBe(false);
    // Four processes start and a run goes through them: generous on a loaded 2-core machine.
  }, 180_000);

  it("up fails at once, naming the worker's log, when a worker exits before it registers", () => {
    const dir = tempDir();
    // A NATS user without a password is refused by the worker at start-up (it inherits the env).
    const up = matrix(["cluster", "up", "--workers", "1", "--dir", dir], { NATS_USER: "someone" });
    try {
      expect(up.status).toBe(1);
      expect(up.stderr).toContain("worker-1 exited");
      expect(up.stderr).toContain(join(dir, "logs", "worker-1.log"));
    } finally {
      expect(matrix(["cluster", "down", "--dir", dir]).status).toBe(0);
    }
  }, 150_000);
});
