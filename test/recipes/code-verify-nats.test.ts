/**
 * code-verify over NATS: a `matrix worker` process serves the coder and verify roles (its own simulator
 * answering with the rows' candidates, its own sandbox running the tests), the driver here feeds and
 * sinks. The same outcome rules hold as on the local bus.
 */
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createNatsBus, type NatsBus } from "../../sdk/bus/nats/index.js";
import { codeVerify } from "../../sdk/recipes/code-verify/code-verify.js";
import type { Attempt } from "../../sdk/recipes/code-verify/code-verify-module.js";
import type { Task } from "../../sdk/schema/task.js";
import { describeWithBwrap } from "../helpers/bubblewrap.js";
import { readJsonl } from "../helpers/jsonl.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { tempDir } from "../helpers/temp-dir.js";
import { spawnWorker, waitForReady, type WorkerProcess } from "../helpers/worker-process.js";

describeWithBwrap("code-verify on NATS", () => {
  describeWithNats("with a matrix worker process", () => {
    let server: NatsServerHandle;
    let bus: NatsBus;
    let worker: WorkerProcess;

    beforeAll(async () => {
      server = await startNatsServer();
      bus = await createNatsBus({ servers: [server.url] });
      worker = spawnWorker(["--nats", server.url, "--id", "cv-worker", "--sandbox-concurrency", "2"]);
      await waitForReady(worker);
    }, 120_000);

    afterAll(async () => {
      if (worker?.child.exitCode === null) worker.child.kill("SIGKILL");
      await bus?.close();
      await server?.dispose();
    });

    it("verifies solutions in the worker's sandbox, with repairs, and the pass rate reaches the driver", async () => {
      const out = tempDir();
      const summary = await codeVerify({ cpuSeconds: 2, timeoutMs: 120_000 }).run({ rows: 8, out, bus }).done();
      expect(summary.counts).toEqual({ done: 8, failed: 0, filtered: 0 });
      const tasks = readJsonl<Task>(join(out, "output.jsonl"));
      for (const task of tasks) {
        const attempts = task.state.attempts as Attempt[];
        for (const attempt of attempts) expect(attempt.passed).toBe(attempt.candidate === "correct");
        expect(task.history.every((turn) => turn.agent.startsWith("cv-worker/"))).toBe(true);
      }
      const passed = tasks.filter((task) => task.state.passed).length;
      expect(summary.metrics?.passRate).toMatchObject({ tasks: 8, passed });
    }, 120_000);
  });
});
