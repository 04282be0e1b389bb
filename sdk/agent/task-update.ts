/**
 * What a handler returns, and how it is applied to the task.
 *
 * Where you are: `agent/`. A handler never mutates the task it is given; it returns a TaskUpdate and
 * this file applies it, only after the handler succeeded, so a retried hop starts from clean state.
 */
import type { Task, TaskStatus } from "../schema/task.js";
import type { ToolCall, Turn } from "../schema/turn.js";

export interface TaskUpdate {
  /** Shallow-merged into `task.state`. */
  state?: Record<string, unknown>;
  /** Text of the turn to append; a turn is appended when `content`, `toolCalls` or `data` is set. */
  content?: string | null;
  toolCalls?: ToolCall[];
  /** For a tool result: the id of the call it answers. */
  toolCallId?: string;
  data?: unknown;
  model?: string;
  /** The filled system prompt and opening user message (chat turns). */
  prompt?: { system?: string; user?: string };
  finishReason?: string;
  usage?: { promptTokens: number; completionTokens: number };
  ttftMs?: number;
  /** Extra turns to append (e.g. one per tool result), before the main one. */
  turns?: Array<Pick<Turn, "content"> & Partial<Omit<Turn, "agent" | "timing">>>;
  /** End the task now: `filtered` drops it from the output with a reason; `done` finishes early. */
  end?: Extract<TaskStatus, "done" | "filtered" | "failed">;
  reason?: string;
  /** Override the flow and go to this role next. */
  next?: string;
  /** Turns appended exactly as they are (a fork replaying its original's turns; agent/replay.ts). */
  replayed?: Turn[];
}

/** A role's work on one task. May answer without a promise (a code role whose function is synchronous). */
export type Handler = (
  task: Task,
  ctx: import("./agent-context.js").AgentContext,
) => TaskUpdate | void | PromiseLike<TaskUpdate | void>;

/** Appends the update's turns, merges state and usage. Returns whether anything was appended. */
export function applyUpdate(
  task: Task,
  update: TaskUpdate,
  role: string,
  agent: string,
  start: number,
  end: number,
): void {
  if (update.state) Object.assign(task.state, update.state);
  if (update.replayed) task.history.push(...update.replayed);
  const timing = { start, end };
  if (update.turns) {
    for (const extra of update.turns) {
      task.history.push({ role, agent, ...extra, timing } as Turn);
    }
  }
  if (update.content !== undefined || update.toolCalls || update.data !== undefined) {
    const turn: Turn = { role, agent, content: update.content ?? null, timing };
    if (update.toolCalls?.length) turn.toolCalls = update.toolCalls;
    if (update.toolCallId !== undefined) turn.toolCallId = update.toolCallId;
    if (update.data !== undefined) turn.data = update.data;
    if (update.prompt !== undefined) turn.prompt = update.prompt;
    if (update.model !== undefined) turn.model = update.model;
    if (update.finishReason !== undefined) turn.finishReason = update.finishReason;
    if (update.usage) turn.usage = update.usage;
    if (update.ttftMs !== undefined) turn.timing.ttftMs = update.ttftMs;
    task.history.push(turn);
  }
  if (update.usage) {
    const usage = (task.usage[role] ??= { promptTokens: 0, completionTokens: 0, calls: 0 });
    usage.promptTokens += update.usage.promptTokens;
    usage.completionTokens += update.usage.completionTokens;
    usage.calls += 1;
  }
}
