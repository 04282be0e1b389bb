/**
 * Budgets: a token or cost limit (run-wide or of one role, priced per model) stops a run at its limit:
 * feeding stops, the tasks in flight finish, so the overshoot is at most what those tasks spend; the
 * summary says which limit was reached. `onLimit: "cancel"` cancels instead.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNatsBus, type NatsBus } from "../../sdk/bus/nats/index.js";
import { BudgetTracker, pipeline, type Task } from "../../sdk/index.js";
import { startSimulator, type SimulatorHandle } from "../../sdk/llm/simulator/index.js";
import { startWorker, type Worker } from "../../sdk/worker/worker.js";
import { FakeLlm } from "../helpers/fake-llm.js";
import { readJsonl } from "../helpers/jsonl.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { tempDir } from "../helpers/temp-dir.js";

// Each call: 10 prompt + 5 completion tokens, after a short wait so tasks are in flight together.
const slowLlm = () => new FakeLlm(async () => (await new Promise((resolve) => setTimeout(resolve, 5)), {}));
const ask = pipeline("budgeted")
  .chat("ask", { prompt: "Q{{row.id}}", model: "small" })
  .chat("check", { prompt: "Check {{row.id}}", model: "big" })
  .sequence("ask", "check");
const rows = Array.from({ length: 300 }, (_, i) => ({ id: String(i) }));
const PER_TASK = 30; // two calls of 15 tokens

describe("budgets", () => {
  it("a run-wide token limit stops feeding; overshoot is at most the tasks in flight", async () => {
    const maxInFlight = 8;
    const run = ask.run({ source: rows, llm: slowLlm(), maxInFlight, concurrency: 4, budget: { tokens: 600 } });
    const summary = await run.done();
    expect(summary.budget?.limit).toBe("run.tokens");
    expect(summary.budget?.limitValue).toBe(600);
    expect(summary.cancelled).toBe(false);
    const spent = summary.budget!.spent.tokens;
    expect(spent).toBeGreaterThanOrEqual(600);
    expect(spent).toBeLessThanOrEqual(600 + maxInFlight * PER_TASK);
    // Every task that was fed finished (nothing was cut off), and far fewer than 300 were fed.
    expect(summary.counts.done).toBe(run.progress().fed);
    expect(summary.counts.done).toBeLessThanOrEqual(600 / PER_TASK + maxInFlight);
    expect(summary.tokens.prompt + summary.tokens.completion).toBe(spent);
    expect(run.budgetLimit).toBe("run.tokens");
  });

  it("a role's cost limit, priced per model (budget.prices), names the role", async () => {
    const prices = { small: { input: 1, output: 2 }, big: { input: 100, output: 200 } };
    // One 'check' call costs (10*100 + 5*200) / 1e6 = 0.002; the limit is five of them.
    const run = ask.run({
      source: rows,
      llm: slowLlm(),
      maxInFlight: 4,
      concurrency: 2,
      budget: { roles: { check: { cost: 0.01 } }, prices },
    });
    const summary = await run.done();
    expect(summary.budget?.limit).toBe("roles.check.cost");
    const check = summary.budget!.spent.byRole.check!;
    expect(check.cost).toBeGreaterThanOrEqual(0.01);
    expect(check.cost).toBeLessThanOrEqual(0.01 + 4 * 0.002 + 1e-9);
    const asked = summary.budget!.spent.byRole.ask!;
    expect(asked.cost).toBeCloseTo((asked.tokens / 15) * 20e-6, 9);
  });

  it("onLimit: cancel cancels the run at the limit", async () => {
    const run = ask.run({ source: rows, llm: slowLlm(), maxInFlight: 8, budget: { tokens: 300, onLimit: "cancel" } });
    const summary = await run.done();
    expect(summary.cancelled).toBe(true);
    expect(summary.budget?.limit).toBe("run.tokens");
    expect(summary.counts.done).toBeLessThan(300);
  });

  it("a cost limit without prices is refused at the start; unpriced models are named", () => {
    expect(() => ask.run({ source: rows, llm: slowLlm(), budget: { cost: 1 } })).toThrow(/needs prices/);
    const tracker = new BudgetTracker({ tokens: 100, prices: { a: { input: 1, output: 1 } } });
    expect(tracker.add({ role: "r", model: "b", promptTokens: 60, completionTokens: 0 })).toBeUndefined();
    expect(tracker.add({ role: "r", model: "a", promptTokens: 40, completionTokens: 0 })).toBe("run.tokens");
    expect(tracker.add({ role: "r", model: "a", promptTokens: 40, completionTokens: 0 })).toBeUndefined();
    expect(tracker.report()).toMatchObject({
      limit: "run.tokens",
      atLimit: { tokens: 100 },
      spent: { tokens: 140 },
      unpriced: ["b"],
    });
  });
});

describe("BudgetTracker.settle", () => {
  const usage = (prompt: number, completion: number) => ({ promptTokens: prompt, completionTokens: completion });
  const task = (id: string, roles: Record<string, ReturnType<typeof usage>>, models: Record<string, string> = {}) =>
    ({
      id,
      usage: roles,
      history: Object.entries(models).map(([role, model]) => ({ role, model, content: "" })),
    }) as unknown as Task;

  it("adds what a task spent beyond its hop events, ignores its late events, and counts a retry's new hops", () => {
    const prices = { m: { input: 1_000_000, output: 2_000_000 } }; // 1 per prompt token, 2 per completion token
    const tracker = new BudgetTracker({ tokens: 1000, prices }, prices);
    tracker.add({ taskId: "a", role: "ask", model: "m", promptTokens: 10, completionTokens: 5 });
    // `a` ends having spent 30 + 10 on `ask` (its second hop's event has not arrived) and 7 + 3 on `judge`.
    tracker.settle(task("a", { ask: usage(30, 10), judge: usage(7, 3) }), (role) =>
      role === "judge" ? "m" : undefined,
    );
    expect(tracker.report().spent).toMatchObject({
      tokens: 50,
      byRole: { ask: { tokens: 40 }, judge: { tokens: 10 } },
    });
    expect(tracker.report().spent.cost).toBe(30 + 20 + 7 + 6);
    // The late event is in `a`'s usage already.
    tracker.add({ taskId: "a", role: "ask", model: "m", promptTokens: 20, completionTokens: 5 });
    expect(tracker.report().spent.tokens).toBe(50);
    // Retried with its usage kept: only the new hop counts, by its event or at its end.
    tracker.reopen(task("a", { ask: usage(30, 10), judge: usage(7, 3) }));
    tracker.add({ taskId: "a", role: "judge", model: "m", promptTokens: 7, completionTokens: 3 });
    tracker.settle(task("a", { ask: usage(30, 10), judge: usage(14, 6) }));
    expect(tracker.report().spent.tokens).toBe(60);
    // A task's model comes from its turns when no event named it.
    tracker.settle(task("b", { ask: usage(1, 1) }, { ask: "other" }));
    expect(tracker.report().unpriced).toEqual(["other"]);
  });
});

describeWithNats("budgets on NATS", () => {
  let server: NatsServerHandle;
  let simulator: SimulatorHandle;
  let driverBus: NatsBus;
  let worker: Worker;
  beforeAll(async () => {
    server = await startNatsServer();
    simulator = await startSimulator({ speed: 100 });
    driverBus = await createNatsBus({ servers: [server.url] });
    worker = await startWorker({ bus: await createNatsBus({ servers: [server.url] }), id: "b1", heartbeatMs: 1000 });
  });
  afterAll(async () => {
    await worker?.drain();
    await driverBus?.close();
    await simulator?.close();
    await server?.dispose();
  });

  it("a worker's hops count against the driver's limit (priced from the pool options); overshoot at most the tasks in flight", async () => {
    const out = tempDir();
    const maxInFlight = 4;
    const limit = 3000;
    const run = ask.run({
      source: rows,
      bus: driverBus,
      out,
      maxInFlight,
      // Pool options: the prices travel nowhere (workers never see them); the driver prices the hops.
      llm: { endpoints: [{ baseUrl: simulator.baseUrl }], prices: { small: { input: 1, output: 2 } } },
      budget: { tokens: limit, cost: 1 },
    });
    const summary = await run.done();
    expect(summary.budget?.limit).toBe("run.tokens");
    const tasks = readJsonl<Task>(join(out, "output.jsonl"));
    const spentBy = (task: Task) =>
      Object.values(task.usage).reduce((sum, usage) => sum + usage.promptTokens + usage.completionTokens, 0);
    const spent = tasks.reduce((sum, task) => sum + spentBy(task), 0);
    // What the driver counted is what the tasks say they spent, though the worker's hop events travel
    // apart from the tasks (batched, core NATS) and some arrive after their task.
    expect(summary.budget!.spent.tokens).toBe(spent);
    expect(spent).toBeGreaterThanOrEqual(limit);
    expect(spent).toBeLessThanOrEqual(limit + maxInFlight * Math.max(...tasks.map(spentBy)));
    expect(summary.counts.done).toBe(run.progress().fed);
    expect(summary.counts.done).toBeLessThan(rows.length);
    // `small` is priced; `big` is not, and says so.
    expect(summary.budget!.spent.byRole.ask!.cost).toBeGreaterThan(0);
    expect(summary.budget!.unpriced).toEqual(["big"]);
  });
});
