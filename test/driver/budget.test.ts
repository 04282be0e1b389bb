/**
 * Budgets: a token or cost limit (run-wide or of one role, priced per model) stops a run at its limit:
 * feeding stops, the tasks in flight finish, so the overshoot is at most what those tasks spend; the
 * summary says which limit was reached. `onLimit: "cancel"` cancels instead.
 */
import { describe, expect, it } from "vitest";
import { BudgetTracker, pipeline } from "../../sdk/index.js";
import { FakeLlm } from "../helpers/fake-llm.js";

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

  it("a role's cost limit, priced per model from the pool options, names the role", async () => {
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
