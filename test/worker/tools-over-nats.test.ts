/**
 * Tool loops over NATS with `matrix worker` processes: the tau recipe completes on workers with the
 * same trajectories as on the local bus, and a worker killed (SIGKILL) in the middle of a tool loop
 * loses nothing and runs no tool twice (a tool with an outside effect logs every execution).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { z } from "zod";
import { createNatsBus, type NatsBus } from "../../sdk/bus/nats/index.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { tau } from "../../sdk/recipes/tau/tau.js";
import type { TauState } from "../../sdk/recipes/tau/tau-module.js";
import type { Task } from "../../sdk/schema/task.js";
import { tool } from "../../sdk/tools/tool.js";
import { startFakeServer, type FakeServer } from "../llm/fake-openai-server.js";
import { readJsonl } from "../helpers/jsonl.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { tempDir } from "../helpers/temp-dir.js";
import { spawnWorker, waitForReady, type WorkerProcess } from "../helpers/worker-process.js";

describeWithNats("tool loops on NATS workers", () => {
  let server: NatsServerHandle;
  let bus: NatsBus;
  let fake: FakeServer;
  const workers: WorkerProcess[] = [];
  const start = async (id: string, args: string[] = []) => {
    const worker = spawnWorker(["--nats", server.url, "--id", id, ...args]);
    workers.push(worker);
    await waitForReady(worker);
    return worker;
  };

  beforeAll(async () => {
    server = await startNatsServer();
    // A short ack_wait, so a killed worker's hop comes back within the test's budget.
    bus = await createNatsBus({ servers: [server.url], ackWaitMs: 2000 });
    fake = await startFakeServer();
  }, 60_000);

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill("SIGKILL");
    await bus?.close();
    await fake?.close();
    await server?.dispose();
  });

  it("the tau recipe completes on two workers, with the trajectories of a local run", async () => {
    const [w1, w2] = await Promise.all([start("t1", ["--concurrency", "16"]), start("t2", ["--concurrency", "16"])]);
    const recipe = tau({ domain: "mock" });
    const out = tempDir();
    const summary = await recipe.run({ out, bus, seed: 3 }).done();
    expect(summary.counts).toEqual({ done: 10, failed: 0, filtered: 0 });
    expect((summary.metrics as { tau: { tasks: number } }).tau.tasks).toBe(10);
    const remote = readJsonl<Task>(join(out, "output.jsonl"));
    // Both workers took part (they compete for the same queues).
    const agents = new Set(remote.flatMap((task) => task.history.map((turn) => turn.agent.split("/")[0])));
    expect([...agents].sort()).toEqual(["t1", "t2"]);
    // The simulator is deterministic per request, so the same tasks and seed give the same conversations.
    const local = recipe.run({ seed: 3, simulator: { speed: 200 } });
    await local.done();
    const view = (tasks: readonly Task[]) =>
      Object.fromEntries(
        tasks.map((task) => [
          task.id,
          {
            turns: task.history.map((turn) => [turn.role, turn.content, turn.toolCalls ?? null]),
            env: task.state._env,
            reward: (task.state.tau as TauState).reward,
          },
        ]),
      );
    expect(view(remote)).toEqual(view(local.results()));
    w1.child.kill("SIGTERM");
    w2.child.kill("SIGTERM");
    await Promise.all([w1.exited, w2.exited]);
  }, 120_000);

  it("a worker killed mid-loop loses nothing and runs no tool twice", async () => {
    const dir = tempDir();
    const log = join(dir, "executions.log");
    writeFileSync(log, "");
    // A tool with an outside effect: every execution appends a line, so a re-run would show.
    writeFileSync(
      join(dir, "ledger.ts"),
      [
        `import { appendFileSync } from "node:fs";`,
        `export function record(args: { amount: number }, env: any, ctx: any): string {`,
        `  appendFileSync(ctx.params.log, \`\${env.task.id} \${env.callId}\\n\`);`,
        `  env.state.total = (env.state.total ?? 0) + args.amount;`,
        `  env.state.applied = [...(env.state.applied ?? []), env.callId];`,
        `  return \`recorded \${args.amount}\`;`,
        `}`,
      ].join("\n"),
    );
    const ledger = tool({
      name: "record",
      description: "Records an amount in the ledger.",
      parameters: z.object({ amount: z.number() }),
      run: (args, env, ctx) => ctx.modules.ledger.record(args, env, ctx),
    });
    const p = pipeline("ledger")
      .params({ log })
      .module("ledger", relative(process.cwd(), join(dir, "ledger.ts")))
      .chat("clerk", { prompt: "Record three amounts for {{row.id}}.", tools: [ledger] });

    // The model: three calls per task, one per reply, then a text answer. The first time task r0 asks
    // for its third call (mid-loop, two calls already made), the reply is held until its worker is dead.
    let heldOnce = false;
    let signalMidLoop!: () => void;
    const midLoop = new Promise<void>((resolve) => (signalMidLoop = resolve));
    let releaseHeld!: () => void;
    const held = new Promise<void>((resolve) => (releaseHeld = resolve));
    fake.setHandler(async (request) => {
      // The worker's endpoint probe (GET /models): a server that lists no models.
      if (!request.body.messages) return { kind: "error", status: 404 };
      const messages = request.body.messages as Array<{ role: string; content?: string }>;
      const id = /for (r\d+)/.exec(String(messages.find((m) => m.role === "user")?.content))![1]!;
      const done = messages.filter((m) => m.role === "tool").length;
      if (id === "r0" && done === 2 && !heldOnce) {
        heldOnce = true;
        signalMidLoop();
        await held;
      }
      if (done >= 3) return { content: `recorded all for ${id}` };
      return {
        content: null,
        toolCalls: [{ id: `call_${id}_${done}`, name: "record", arguments: `{"amount":${done + 1}}` }],
      };
    });

    // One hop at a time per worker: while r0's model call is held, no tool of this worker is running.
    const args = ["--concurrency", "1", "--llm", fake.baseUrl, "--model", "m"];
    const victim = await start("k1", args);
    const out = tempDir();
    // The run names its LLM: workers use the run's choice (their --llm is for `llm: "workers"` runs).
    const run = p.run({
      source: Array.from({ length: 6 }, (_, i) => ({ id: `r${i}` })),
      out,
      bus,
      llm: fake.baseUrl,
      model: "m",
    });
    await midLoop;
    victim.child.kill("SIGKILL");
    expect(await victim.exited).toBe("SIGKILL");
    releaseHeld();
    await start("k2", args);
    const summary = await run.done();
    expect(summary.counts).toEqual({ done: 6, failed: 0, filtered: 0 });

    const written = readJsonl<Task>(join(out, "output.jsonl"));
    expect(written.map((task) => task.id).sort()).toEqual(["r0", "r1", "r2", "r3", "r4", "r5"]);
    const executions = readFileSync(log, "utf8").trim().split("\n");
    // Every tool ran exactly once: 6 tasks × 3 calls, no line twice.
    expect(executions).toHaveLength(18);
    expect(new Set(executions).size).toBe(18);
    for (const task of written) {
      const results = task.history.filter((turn) => turn.toolCallId !== undefined);
      expect(results.map((turn) => turn.toolCallId)).toEqual([0, 1, 2].map((n) => `call_${task.id}_${n}`));
      expect(task.state._env).toEqual({ total: 6, applied: results.map((turn) => turn.toolCallId) });
      expect(task.history.at(-1)?.content).toBe(`recorded all for ${task.id}`);
    }
    // r0 was in the middle of its loop when its worker died; another worker finished it.
    const r0 = written.find((task) => task.id === "r0")!;
    const byWorker = r0.history.map((turn) => turn.agent.split("/")[0]);
    expect(byWorker.slice(0, 4)).toEqual(["k1", "k1", "k1", "k1"]);
    expect(byWorker.slice(4)).toEqual(["k2", "k2", "k2"]);
  }, 120_000);
});
