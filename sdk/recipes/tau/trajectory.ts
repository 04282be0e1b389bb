/**
 * Conversions between tau2 messages and our task history: a task's `message_history` becomes the
 * opening turns of the conversation, and a finished task's history becomes the tau2 trajectory the
 * evaluator replays (assistant and user messages, their tool calls, and the tool results).
 *
 * Where you are: `recipes/tau/`, the tau runtime. Roles map both ways through `TauRoles` (our role
 * names for tau2's assistant and user). Turns of other roles (the reward agent, a judge) are not part
 * of the conversation.
 */
import type { Task } from "../../schema/task.js";
import type { ToolCall, Turn } from "../../schema/turn.js";
import type { Requestor, TauMessage, TauToolCall } from "./environment.js";
import type { TauTask } from "./task-schema.js";

/** Our role names for tau2's two speakers. */
export interface TauRoles {
  assistant: string;
  user: string;
}

type NewTurn = Pick<Turn, "content"> & Partial<Omit<Turn, "agent" | "timing">>;

function parseArguments(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text.trim() === "" ? "{}" : text);
    return typeof value === "object" && value !== null && !Array.isArray(value) ? value : {};
  } catch {
    // Our loop refused such a call without running it; replaying it as {} also changes nothing.
    return {};
  }
}

/** A task's `initial_state.message_history` as tau2 messages. */
export function historyMessages(task: TauTask): TauMessage[] {
  const messages: TauMessage[] = [];
  for (const message of task.initial_state?.message_history ?? []) {
    if (message.role === "system") continue;
    if (message.role === "tool") {
      messages.push({
        role: "tool",
        id: message.id ?? "",
        content: message.content ?? "",
        requestor: message.requestor ?? "assistant",
        ...(message.error !== undefined ? { error: message.error } : {}),
      });
      continue;
    }
    const requestor: Requestor = message.role === "user" ? "user" : "assistant";
    const calls = (message.tool_calls ?? []).map((call): TauToolCall => ({
      id: call.id,
      name: call.name,
      arguments: call.arguments,
      requestor: call.requestor ?? requestor,
    }));
    messages.push({
      role: message.role,
      content: message.content ?? null,
      ...(calls.length ? { tool_calls: calls } : {}),
    });
  }
  return messages;
}

/** tau2 messages as turns of our roles (the opening of a task that continues a conversation). */
export function messagesToTurns(messages: readonly TauMessage[], roles: TauRoles): NewTurn[] {
  const names = new Map<string, string>();
  return messages.map((message): NewTurn => {
    if (message.role === "tool") {
      return {
        role: message.requestor === "user" ? roles.user : roles.assistant,
        content: message.content,
        toolCallId: message.id,
        ...(names.has(message.id) ? { toolName: names.get(message.id)! } : {}),
        toolOk: !(message.error ?? message.content.startsWith("Error:")),
      };
    }
    const toolCalls = (message.tool_calls ?? []).map((call): ToolCall => {
      names.set(call.id, call.name);
      return {
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: JSON.stringify(call.arguments) },
      };
    });
    return {
      role: message.role === "user" ? roles.user : roles.assistant,
      content: message.content,
      ...(toolCalls.length ? { toolCalls } : {}),
    };
  });
}

/** The conversation of a task as tau2 messages; `content` reads offloaded turn text (NATS). */
export async function trajectoryOf(
  task: Task,
  roles: TauRoles,
  content: (turn: Turn) => Promise<string | null> = async (turn) => turn.content,
): Promise<TauMessage[]> {
  const messages: TauMessage[] = [];
  for (const turn of task.history) {
    if (turn.role !== roles.assistant && turn.role !== roles.user) continue;
    if (turn.error) continue;
    const requestor: Requestor = turn.role === roles.user ? "user" : "assistant";
    const text = await content(turn);
    if (turn.toolCallId !== undefined) {
      messages.push({
        role: "tool",
        id: turn.toolCallId,
        content: text ?? "",
        requestor,
        error: turn.toolOk === false,
      });
      continue;
    }
    const calls = (turn.toolCalls ?? []).map((call): TauToolCall => ({
      id: call.id,
      name: call.function.name,
      arguments: parseArguments(call.function.arguments),
      requestor,
    }));
    messages.push({ role: requestor, content: text, ...(calls.length ? { tool_calls: calls } : {}) });
  }
  return messages;
}
