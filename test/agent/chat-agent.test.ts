import { describe, expect, it } from "vitest";
import { inlineContent, type AgentContext } from "../../sdk/agent/agent-context.js";
import { chatAgent, conversationView, normaliseAlternation } from "../../sdk/agent/chat-agent.js";
import { createTask } from "../../sdk/driver/task-factory.js";
import type { Task } from "../../sdk/schema/task.js";
import { FakeLlm } from "../helpers/fake-llm.js";

const turn = (role: string, content: string | null, extra: Partial<Task["history"][number]> = {}) => ({
  role,
  agent: "t",
  content,
  timing: { start: 0, end: 0 },
  ...extra,
});

function context(llm?: FakeLlm): AgentContext {
  return {
    params: { tone: "dry" },
    role: "agent",
    agent: "t",
    signal: new AbortController().signal,
    llm,
    content: inlineContent,
    modules: {},
  };
}

describe("chat agent", () => {
  it("shows a role its own turns as the assistant's, tool results as tool messages, skips error turns", async () => {
    const task = createTask({ runId: "r", rowId: "1", row: {}, trial: 0, trials: 1, seed: 0, cursor: "agent" });
    const call = { id: "c1", type: "function" as const, function: { name: "lookup", arguments: "{}" } };
    task.history.push(
      turn("user", "hi"),
      turn("agent", null, { toolCalls: [call] }),
      turn("tool", "42", { toolCallId: "c1" }),
      turn("agent", "It is 42."),
      turn("user", "broken", { error: { name: "Error", message: "x" } }),
    );
    expect(await conversationView(task, "agent", context())).toEqual([
      { role: "user", content: "hi" },
      { role: "assistant", content: null, toolCalls: [call] },
      { role: "tool", content: "42", toolCallId: "c1" },
      { role: "assistant", content: "It is 42." },
    ]);
  });

  it("merges consecutive user messages and opens with a user message", () => {
    expect(
      normaliseAlternation([
        { role: "system", content: "s" },
        { role: "assistant", content: "a" },
        { role: "user", content: "u1" },
        { role: "user", content: "u2" },
      ]),
    ).toEqual([
      { role: "system", content: "s" },
      { role: "user", content: "Hello." },
      { role: "assistant", content: "a" },
      { role: "user", content: "u1\n\nu2" },
    ]);
  });

  it("sends the model settings, seed and sticky key, and saves the structured reply", async () => {
    const llm = new FakeLlm(() => ({
      content: '{"ok":true}',
      data: { ok: true },
      usage: { promptTokens: 3, completionTokens: 2 },
    }));
    const handler = chatAgent(
      "agent",
      {
        kind: "chat",
        system: "Tone: {{params.tone}}",
        prompt: "Check {{row.claim}}",
        model: "m1",
        temperature: 0.2,
        maxTokens: 64,
        output: { name: "check", schema: { type: "object" } },
        saveAs: "check",
        sticky: true,
      },
      { model: "default" },
    );
    const task = createTask({
      runId: "r",
      rowId: "7",
      row: { claim: "water is wet" },
      trial: 0,
      trials: 1,
      seed: 5,
      cursor: "agent",
    });
    const update = await handler(task, context(llm));
    const request = llm.requests[0]!;
    expect(request).toMatchObject({
      model: "m1",
      temperature: 0.2,
      maxTokens: 64,
      stickyKey: "7",
      role: "agent",
      seed: task.seed,
    });
    expect(request.messages).toEqual([
      { role: "system", content: "Tone: dry" },
      { role: "user", content: "Check water is wet" },
    ]);
    expect(update).toMatchObject({
      content: '{"ok":true}',
      data: { ok: true },
      state: { check: { ok: true } },
      usage: { promptTokens: 3, completionTokens: 2 },
    });
  });

  it("fails clearly without an LLM client or with nothing to send", async () => {
    const task = createTask({ runId: "r", rowId: "1", row: {}, trial: 0, trials: 1, seed: 0, cursor: "agent" });
    await expect(chatAgent("agent", { kind: "chat" }, {})(task, context())).rejects.toThrow(/no LLM client/);
    await expect(chatAgent("agent", { kind: "chat" }, {})(task, context(new FakeLlm()))).rejects.toThrow(
      /nothing to send/,
    );
  });
});
