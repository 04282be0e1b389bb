/**
 * The `chat` agent: builds messages from the task, makes one LLM call, returns the reply as a turn.
 *
 * Where you are: `agent/`. Messages: the system prompt, the prompt (the task, as the opening user
 * message), then the history as this role sees it (its own turns as `assistant`, everyone else's as
 * `user`). A prompt function may instead return the whole message list. A role offering tools with
 * `run` runs the tool loop (sdk/tools/tool-loop.ts): its hops alternate between one model call and one
 * round of tool execution until the model answers without calls.
 */
import { AgentError } from "../errors.js";
import { compileFunction } from "../flow/function-source.js";
import type { ChatMessage } from "../llm/llm-client.js";
import type { ChatRoleDefinition } from "../schema/pipeline-definition.js";
import type { Task } from "../schema/task.js";
import type { AgentContext } from "./agent-context.js";
import type { Handler } from "./task-update.js";
import { compileTemplate } from "./template.js";
import { toolLoop } from "../tools/tool-loop.js";

type PromptFunction = (task: Task, ctx: AgentContext) => string | ChatMessage[] | Promise<string | ChatMessage[]>;
type ExtraBodyFunction = (task: Task, ctx: AgentContext) => Record<string, unknown> | undefined;

/** The history as `role` sees it: its own turns are the assistant's, the others' are the user's. */
export async function conversationView(task: Task, role: string, ctx: AgentContext): Promise<ChatMessage[]> {
  const messages: ChatMessage[] = [];
  // A tool result is shown only to the role whose call it answers: another role never saw that call.
  const ownCalls = new Set<string>();
  for (const turn of task.history) {
    if (turn.error) continue;
    if (turn.toolCallId !== undefined) {
      if (ownCalls.has(turn.toolCallId)) {
        messages.push({ role: "tool", content: (await ctx.content(turn)) ?? "", toolCallId: turn.toolCallId });
      }
      continue;
    }
    const content = await ctx.content(turn);
    if (turn.role === role) {
      for (const call of turn.toolCalls ?? []) ownCalls.add(call.id);
      messages.push({ role: "assistant", content, ...(turn.toolCalls ? { toolCalls: turn.toolCalls } : {}) });
    } else if (content !== null && content !== "") {
      messages.push({ role: "user", content });
    }
  }
  return messages;
}

/** The role's own turns at the end of the history (its tool calls and their results in the current answer). */
async function currentAnswer(task: Task, role: string, ctx: AgentContext): Promise<ChatMessage[]> {
  let start = task.history.length;
  while (start > 0 && task.history[start - 1]!.role === role) start--;
  const own = { ...task, history: task.history.slice(start) };
  return conversationView(own, role, ctx);
}

/**
 * Whether the role's last recorded prompt is `given`: a prompt is recorded on the role's first turn and
 * again when it changes, not on every turn (a policy prompt on each of 40 tool-loop turns was most of
 * a tau task's bytes).
 */
function promptUnchanged(task: Task, role: string, given: { system?: string; user?: string }): boolean {
  for (let index = task.history.length - 1; index >= 0; index--) {
    const turn = task.history[index]!;
    if (turn.role !== role || turn.prompt === undefined) continue;
    return turn.prompt.system === given.system && turn.prompt.user === given.user;
  }
  return false;
}

/** Chat servers expect user/assistant alternation starting with a user: merge runs, open with a user. */
export function normaliseAlternation(messages: ChatMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const message of messages) {
    const last = out[out.length - 1];
    if (last && last.role === "user" && message.role === "user") {
      out[out.length - 1] = { role: "user", content: `${last.content}\n\n${message.content}` };
    } else {
      out.push(message);
    }
  }
  const firstNonSystem = out.findIndex((message) => message.role !== "system");
  if (firstNonSystem >= 0 && out[firstNonSystem]!.role === "assistant") {
    out.splice(firstNonSystem, 0, { role: "user", content: "Hello." });
  }
  return out;
}

export function chatAgent(role: string, definition: ChatRoleDefinition, defaults: { model?: string }): Handler {
  const prompt =
    typeof definition.prompt === "object"
      ? compileFunction<PromptFunction>(definition.prompt, `roles.${role}.prompt`)
      : definition.prompt;
  // Parsed once per role, not per call (agent/template.ts).
  const systemTemplate = definition.system ? compileTemplate(definition.system) : undefined;
  const promptTemplate = typeof prompt === "string" ? compileTemplate(prompt) : undefined;
  const view = definition.view ?? "conversation";
  const loop = toolLoop(role, definition);
  // The model sees a tool's name, description and arguments schema, never its implementation.
  const offered = definition.tools?.map(({ run: _run, ...offer }) => offer);
  const extraBody =
    definition.extraBody && typeof definition.extraBody.fn === "string"
      ? compileFunction<ExtraBodyFunction>(definition.extraBody as { fn: string }, `roles.${role}.extraBody`)
      : definition.extraBody;
  return async (task, ctx) => {
    if (loop.active) {
      const pending = loop.pendingCalls(task);
      if (pending) return loop.runCalls(task, pending, ctx);
    }
    if (!ctx.llm) throw new AgentError(role, task.id, "no LLM client is configured for chat roles");
    const where = { role, taskId: task.id };
    const scope = { row: task.row, state: task.state, params: ctx.params, task };
    const messages: ChatMessage[] = [];
    const system = systemTemplate?.(scope, where);
    if (system !== undefined) messages.push({ role: "system", content: system });
    // The prompt opens the conversation (the task), then the history follows as this role sees it.
    if (typeof prompt === "function") {
      const produced = await prompt(task, ctx);
      if (Array.isArray(produced)) messages.push(...produced);
      else {
        messages.push({ role: "user", content: produced });
        if (view === "conversation" && task.history.length > 0)
          messages.push(...(await conversationView(task, role, ctx)));
      }
    } else {
      if (promptTemplate) messages.push({ role: "user", content: promptTemplate(scope, where) });
      // A first hop has no history: no async call for an empty view.
      if (view === "conversation") {
        if (task.history.length > 0) messages.push(...(await conversationView(task, role, ctx)));
      } else if (loop.active) messages.push(...(await currentAnswer(task, role, ctx)));
    }
    if (!messages.some((message) => message.role !== "system")) {
      throw new AgentError(role, task.id, "nothing to send: no prompt and no history for this role");
    }
    const result = await ctx.llm.chat({
      model: definition.model ?? defaults.model,
      messages: normaliseAlternation(messages),
      temperature: definition.temperature,
      maxTokens: definition.maxTokens,
      seed: task.seed + task.hops,
      tools: offered,
      responseSchema: definition.output,
      stickyKey: definition.sticky === false ? undefined : task.id,
      ...(definition.stream ? { stream: true } : {}),
      role,
      extraBody: typeof extraBody === "function" ? await extraBody(task, ctx) : extraBody,
      signal: ctx.signal,
    });
    const loopUpdate = loop.active ? loop.afterReply(task, (result.toolCalls?.length ?? 0) > 0) : {};
    const saved = definition.saveAs ? { [definition.saveAs]: result.data ?? result.content } : {};
    const state = loopUpdate.state || definition.saveAs ? { state: { ...loopUpdate.state, ...saved } } : {};
    if (definition.appendTurn === false) return { usage: result.usage, ...state };
    // The role's own prompt (not a partner's turn) opens its messages when it has one.
    const opening = prompt !== undefined ? messages.find((message) => message.role === "user")?.content : undefined;
    const given = {
      ...(system !== undefined ? { system } : {}),
      ...(typeof opening === "string" ? { user: opening } : {}),
    };
    return {
      content: result.content,
      toolCalls: result.toolCalls,
      data: result.data,
      ...(Object.keys(given).length > 0 && !promptUnchanged(task, role, given) ? { prompt: given } : {}),
      model: result.model,
      finishReason: result.finishReason,
      usage: result.usage,
      ttftMs: result.ttftMs,
      ...state,
      ...(loopUpdate.next !== undefined ? { next: loopUpdate.next } : {}),
    };
  };
}
