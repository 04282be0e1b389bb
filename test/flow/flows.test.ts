import { describe, expect, it } from "vitest";
import type { AgentContext } from "../../sdk/agent/agent-context.js";
import { conversationFlow } from "../../sdk/flow/conversation-flow.js";
import { END } from "../../sdk/flow/flow.js";
import { graphFlow } from "../../sdk/flow/graph-flow.js";
import { routerFlow } from "../../sdk/flow/router-flow.js";
import { sequenceFlow } from "../../sdk/flow/sequence-flow.js";
import { createTask } from "../../sdk/driver/task-factory.js";
import type { Task } from "../../sdk/schema/task.js";

const ctx = {
  params: {},
  modules: {},
  role: "x",
  agent: "t",
  signal: new AbortController().signal,
  content: async () => null,
} as AgentContext;
const newTask = (): Task => createTask({ runId: "r", rowId: "1", row: {}, trial: 0, trials: 1, seed: 0, cursor: "a" });

describe("flows", () => {
  it("sequence visits each role once, then ends", () => {
    const flow = sequenceFlow(["a", "b", "c"]);
    const task = newTask();
    expect(flow.entry).toBe("a");
    expect(flow.next(task, "a", ctx)).toEqual({ next: "b" });
    expect(flow.next(task, "b", ctx)).toEqual({ next: "c" });
    expect(flow.next(task, "c", ctx)).toEqual({ next: END });
  });

  it("conversation alternates speakers, runs `after` roles each turn and `then` roles at the end", async () => {
    const flow = conversationFlow({ roles: ["teacher", "student"], after: ["extract"], then: ["judge"], maxTurns: 3 });
    const task = newTask();
    const visited: string[] = [flow.entry];
    let role = flow.entry;
    for (let i = 0; i < 20; i++) {
      const step = await flow.next(task, role, ctx);
      if (step.next === END) {
        expect(step.reason).toBe("max-turns");
        break;
      }
      role = step.next;
      visited.push(role);
    }
    expect(visited).toEqual(["teacher", "extract", "student", "extract", "teacher", "extract", "judge"]);
    expect(task.state._flow).toEqual({ turns: 3, ended: "max-turns" });
  });

  it("conversation keeps its bookkeeping under _flow, out of the way of user state", async () => {
    const flow = conversationFlow({ roles: ["a", "b"], maxTurns: 2 });
    const task = newTask();
    task.state.turns = 0; // a user field of the same name does not reset the count
    await flow.next(task, "a", ctx);
    task.state.turns = 0;
    expect(await flow.next(task, "b", ctx)).toEqual({ next: END, reason: "max-turns" });
  });

  it("conversation stops when the stop condition holds, with its reason", async () => {
    const flow = conversationFlow({
      roles: ["a", "b"],
      maxTurns: 2,
      stop: (task) => ((task.state._flow as { turns: number }).turns >= 2 ? "agreed" : false),
    });
    const task = newTask();
    expect(await flow.next(task, "a", ctx)).toEqual({ next: "b" });
    // Agreement on the last allowed turn is reported as agreement, not as running out of turns.
    expect(await flow.next(task, "b", ctx)).toEqual({ next: END, reason: "agreed" });
  });

  it("graph takes the first edge whose condition holds", async () => {
    const flow = graphFlow("write", [
      { from: "write", to: "review" },
      { from: "review", to: "write", when: (task) => task.state.ok !== true },
      { from: "review", to: "_end" },
    ]);
    const task = newTask();
    expect(await flow.next(task, "write", ctx)).toEqual({ next: "review" });
    expect(await flow.next(task, "review", ctx)).toEqual({ next: "write" });
    task.state.ok = true;
    expect(await flow.next(task, "review", ctx)).toEqual({ next: END });
    expect(flow.roles).toEqual(["write", "review"]);
  });

  it("router asks a function for the next role", async () => {
    const flow = routerFlow("a", ["a", "b"], (task, justRan) => (justRan === "a" && !task.state.done ? "b" : null));
    const task = newTask();
    expect(await flow.next(task, "a", ctx)).toEqual({ next: "b" });
    task.state.done = true;
    expect(await flow.next(task, "a", ctx)).toEqual({ next: END });
  });

  it("graph and router answer at once when their functions do, and wait only for a condition that is a promise", async () => {
    const graph = graphFlow("a", [
      { from: "a", to: "b", when: () => false },
      { from: "a", to: "c", when: (task) => task.state.go },
      { from: "a", to: "_end" },
    ]);
    const task = newTask();
    // A plain step, not a promise: runHop then continues without a turn of the microtask queue.
    expect(graph.next(task, "a", ctx)).toEqual({ next: END });
    task.state.go = true;
    expect(graph.next(task, "a", ctx)).toEqual({ next: "c" });
    // An async condition that fails moves on to the next edge; a thenable that is no Promise counts too.
    const waiting = graphFlow("a", [
      { from: "a", to: "b", when: async () => false },
      { from: "a", to: "c", when: () => ({ then: (resolve: (value: boolean) => void) => resolve(true) }) },
    ]);
    const step = waiting.next(task, "a", ctx);
    expect(step).toBeInstanceOf(Promise);
    expect(await step).toEqual({ next: "c" });
    expect(routerFlow("a", ["a", "b"], () => "b").next(task, "a", ctx)).toEqual({ next: "b" });
    expect(await routerFlow("a", ["a", "b"], async () => null).next(task, "a", ctx)).toEqual({ next: END });
  });

  it("graph and router pass on their function's failure, thrown or rejected", async () => {
    const boom = new Error("boom");
    const thrown = () => {
      throw boom;
    };
    expect(() => routerFlow("a", ["a"], thrown).next(newTask(), "a", ctx)).toThrow(boom);
    await expect(routerFlow("a", ["a"], async () => thrown()).next(newTask(), "a", ctx)).rejects.toBe(boom);
    const graph = graphFlow("a", [{ from: "a", to: "b", when: async () => thrown() }]);
    await expect(graph.next(newTask(), "a", ctx)).rejects.toBe(boom);
  });
});
