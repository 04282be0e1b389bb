/**
 * The tool loop of a chat role: calls are validated and executed, results go back to the model as tool
 * messages, until the model answers without calls or a limit stops it. Runs on the local bus with a
 * scripted LLM; the NATS crash test is in test/worker/tools-over-nats.test.ts.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { inlineContent, type AgentContext } from "../../sdk/agent/agent-context.js";
import { chatAgent } from "../../sdk/agent/chat-agent.js";
import { createTask } from "../../sdk/driver/task-factory.js";
import { CapturedVariableError, PipelineDefinitionError } from "../../sdk/errors.js";
import type { ChatMessage, ChatRequest } from "../../sdk/llm/llm-client.js";
import { Pipeline, pipeline } from "../../sdk/pipeline/pipeline.js";
import type { Task } from "../../sdk/schema/task.js";
import type { ToolCall } from "../../sdk/schema/turn.js";
import { tool } from "../../sdk/tools/tool.js";
import { toolLoopState } from "../../sdk/tools/tool-loop.js";
import { FakeLlm } from "../helpers/fake-llm.js";

const call = (id: string, name: string, args: unknown): ToolCall => ({
  id,
  type: "function",
  function: { name, arguments: typeof args === "string" ? args : JSON.stringify(args) },
});

/** Tool messages the model was sent in its last request. */
const toolMessages = (request: ChatRequest) =>
  request.messages.filter((message): message is Extract<ChatMessage, { role: "tool" }> => message.role === "tool");

const deposit = tool({
  name: "deposit",
  description: "Adds an amount to the account balance.",
  parameters: z.object({ amount: z.number().positive() }),
  run: ({ amount }, env) => {
    env.state.balance = ((env.state.balance as number | undefined) ?? 0) + amount;
    return { balance: env.state.balance };
  },
});
const explode = tool({
  name: "explode",
  description: "Changes the balance, then fails.",
  parameters: z.object({}),
  run: (_args, env) => {
    env.state.balance = -1;
    throw new Error("the vault is locked");
  },
});

/** A model that makes the scripted calls in order, one reply per request, then answers in text. */
function scripted(calls: ToolCall[][]): FakeLlm {
  return new FakeLlm((request) => {
    const round = request.messages.filter((message) => message.role === "assistant" && message.toolCalls).length;
    return round < calls.length
      ? { content: null, toolCalls: calls[round], finishReason: "tool_calls" }
      : { content: `done after ${toolMessages(request).length} results` };
  });
}

async function runOne(p: Pipeline, llm: FakeLlm): Promise<Task> {
  const run = p.run({ source: [{ id: "t1" }], llm });
  const summary = await run.done();
  expect(summary.counts.failed).toBe(0);
  return run.results()[0]!;
}

const bank = (extra: Parameters<Pipeline["chat"]>[1] = {}) =>
  pipeline("bank")
    .chat("teller", { prompt: "Deposit 5 and then 7.", tools: [deposit, explode], ...extra })
    .code("after", (task) => ({ state: { sawBalance: (task.state._env as { balance?: number })?.balance ?? null } }))
    .sequence("teller", "after");

describe("the tool loop", () => {
  it("runs calls, returns results as tool messages and keeps the environment state in the task", async () => {
    const llm = scripted([[call("c1", "deposit", { amount: 5 })], [call("c2", "deposit", { amount: 7 })]]);
    const task = await runOne(bank(), llm);
    // Three model calls: two with calls, the last in text; each saw the results so far.
    expect(llm.requests).toHaveLength(3);
    expect(toolMessages(llm.requests[1]!)).toEqual([{ role: "tool", content: '{"balance":5}', toolCallId: "c1" }]);
    expect(toolMessages(llm.requests[2]!).map((m) => m.content)).toEqual(['{"balance":5}', '{"balance":12}']);
    expect(task.history.map((turn) => [turn.role, turn.toolName ?? null, turn.toolOk ?? null, turn.content])).toEqual([
      ["teller", null, null, null],
      ["teller", "deposit", true, '{"balance":5}'],
      ["teller", null, null, null],
      ["teller", "deposit", true, '{"balance":12}'],
      ["teller", null, null, "done after 2 results"],
    ]);
    expect(task.history[1]!.toolCallId).toBe("c1");
    expect(task.state._env).toEqual({ balance: 12 });
    // The flow went on after the answer, with the environment visible to the next role.
    expect(task.state.sawBalance).toBe(12);
    expect(toolLoopState(task, "teller")).toEqual({ rounds: 2, calls: 2, errors: 0 });
    // model, tools, model, tools, model, then `after`.
    expect(task.hops).toBe(6);
  });

  it("answers bad arguments, an unknown tool and a throwing tool with clear errors, leaving the state alone", async () => {
    const llm = scripted([
      [call("c1", "deposit", { amount: "five" }), call("c2", "deposit", "{not json"), call("c3", "withdraw", {})],
      [call("c4", "deposit", { amount: 5 }), call("c5", "explode", {})],
    ]);
    const task = await runOne(bank(), llm);
    const results = task.history.filter((turn) => turn.toolCallId !== undefined);
    expect(results.map((turn) => turn.toolOk)).toEqual([false, false, false, true, false]);
    expect(results[0]!.content).toBe("Error: invalid arguments for 'deposit': $.amount: expected number, got string.");
    expect(results[1]!.content).toMatch(/^Error: the arguments of 'deposit' are not valid JSON \(/);
    expect(results[2]!.content).toBe("Error: Tool 'withdraw' not found. The tools are: deposit, explode.");
    expect(results[4]!.content).toBe("Error: the vault is locked");
    // The model saw every error as a tool message and went on.
    expect(toolMessages(llm.requests[2]!).map((m) => m.content)).toEqual(results.map((turn) => turn.content));
    // The throwing tool's change (-1) was discarded; the good deposit stayed.
    expect(task.state._env).toEqual({ balance: 5 });
    expect(toolLoopState(task, "teller")).toMatchObject({ calls: 5, errors: 4 });
  });

  it("stops at the step limit with a named reason, and the flow goes on", async () => {
    const llm = new FakeLlm((request) => ({
      content: null,
      toolCalls: [call(`c${request.messages.length}`, "deposit", { amount: 1 })],
    }));
    const task = await runOne(bank({ toolLoop: { maxSteps: 3 } }), llm);
    expect(llm.requests).toHaveLength(3);
    expect(toolLoopState(task, "teller")).toEqual({ rounds: 3, calls: 3, errors: 0, stopped: "max-tool-steps" });
    // Every call made got its result before the loop stopped.
    expect(task.history.filter((turn) => turn.toolOk).length).toBe(3);
    expect(task.state.sawBalance).toBe(3);
    expect(task.status).toBe("done");
  });

  it("stops when the stop condition holds, with its reason", async () => {
    const llm = new FakeLlm((request) => ({
      content: null,
      toolCalls: [call(`c${request.messages.length}`, "deposit", { amount: 4 })],
    }));
    const p = bank({
      toolLoop: { stop: (task) => ((task.state._env as { balance: number }).balance >= 8 ? "rich" : false) },
    });
    const task = await runOne(p, llm);
    expect(llm.requests).toHaveLength(2);
    expect(toolLoopState(task, "teller").stopped).toBe("rich");
    expect(task.state._env).toEqual({ balance: 8 });
  });

  it("shows tool calls and results only to the role that made them", async () => {
    const llm = new FakeLlm((request) => {
      if (request.role === "teller" && !request.messages.some((m) => m.role === "tool"))
        return { content: null, toolCalls: [call("c1", "deposit", { amount: 2 })] };
      return { content: `${request.role} speaks` };
    });
    const p = pipeline("two")
      .chat("teller", { prompt: "Serve the customer.", tools: [deposit] })
      .chat("customer", { prompt: "You are a customer." })
      .sequence("teller", "customer");
    await runOne(p, llm);
    const customer = llm.requests.find((request) => request.role === "customer")!;
    // Only the teller's text reaches the customer (merged with its prompt into one user message).
    expect(customer.messages).toEqual([{ role: "user", content: "You are a customer.\n\nteller speaks" }]);
    // The teller's tools are offered without their implementation.
    const offered = llm.requests.find((request) => request.role === "teller")!.tools!;
    expect(offered).toEqual([
      {
        name: "deposit",
        description: "Adds an amount to the account balance.",
        parameters: expect.objectContaining({ type: "object", required: ["amount"] }),
      },
    ]);
  });

  it("a role that sees no conversation (view none) still sees its own calls and results", async () => {
    const llm = scripted([[call("c1", "deposit", { amount: 2 })]]);
    const p = pipeline("alone").chat("teller", { prompt: "Deposit 2.", tools: [deposit], view: "none" });
    await runOne(p, llm);
    expect(llm.requests[1]!.messages).toEqual([
      { role: "user", content: "Deposit 2." },
      { role: "assistant", content: null, toolCalls: [call("c1", "deposit", { amount: 2 })] },
      { role: "tool", content: '{"balance":2}', toolCallId: "c1" },
    ]);
  });

  it("a redelivered tool hop gives the same update: calls apply to the state the task carries, once", async () => {
    const handler = chatAgent("teller", { kind: "chat", tools: [deposit] }, {});
    const task = createTask({ runId: "r", rowId: "1", row: {}, trial: 0, trials: 1, seed: 0, cursor: "teller" });
    task.state._env = { balance: 10 };
    task.history.push({
      role: "teller",
      agent: "w1/teller",
      content: null,
      toolCalls: [call("c1", "deposit", { amount: 5 })],
      timing: { start: 0, end: 0 },
    });
    const ctx: AgentContext = {
      params: {},
      modules: {},
      role: "teller",
      agent: "w2/teller",
      signal: new AbortController().signal,
      content: inlineContent,
    };
    const first = await handler(task, ctx);
    const again = await handler(task, ctx);
    expect(again).toEqual(first);
    expect(first).toMatchObject({ state: { _env: { balance: 15 } }, next: "teller" });
    // The handler never touched the task it was given (the hop applies the update).
    expect(task.state._env).toEqual({ balance: 10 });
  });
});

describe("tool definitions", () => {
  it("turn a zod schema into JSON Schema and survive toJSON/fromJSON", async () => {
    expect(deposit.parameters).toMatchObject({
      type: "object",
      properties: { amount: { type: "number", exclusiveMinimum: 0 } },
      required: ["amount"],
    });
    const copy = Pipeline.fromJSON(JSON.stringify(bank().toJSON()));
    const llm = scripted([[call("c1", "deposit", { amount: 3 })]]);
    expect((await runOne(copy, llm)).state._env).toEqual({ balance: 3 });
  });

  it("refuse a run function that captures a variable, and a tool role that drops its turns", () => {
    const fee = 2;
    expect(() =>
      tool({ name: "charge", parameters: z.object({}), run: (_args, env) => (env.state.fee = fee) }),
    ).toThrow(CapturedVariableError);
    expect(() =>
      pipeline("x")
        .chat("a", { tools: [deposit], appendTurn: false })
        .validate(),
    ).toThrow(PipelineDefinitionError);
    expect(() => tool({ name: "bad", parameters: z.string() })).toThrow(/object schema/);
  });
});
