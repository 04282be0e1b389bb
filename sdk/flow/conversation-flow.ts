/**
 * Conversation: speakers alternate until a stop condition or `maxTurns`; optional roles run after
 * every speaker turn (an extractor) and once at the end (a judge).
 *
 * Where you are: `flow/`. The position in the loop is derived from the role that just ran and
 * `task.state._flow` (speaker turns so far), both travelling with the task.
 */
import type { AgentContext } from "../agent/agent-context.js";
import type { Task } from "../schema/task.js";
import { END, type Flow, type FlowStep } from "./flow.js";

export type StopCondition = (
  task: Task,
  ctx: AgentContext,
) => boolean | string | null | undefined | Promise<boolean | string | null | undefined>;

export interface ConversationFlowOptions {
  roles: readonly string[];
  after?: readonly string[];
  then?: readonly string[];
  maxTurns: number;
  stop?: StopCondition;
}

/**
 * The conversation's own bookkeeping, under a reserved state key (keys starting with `_` belong to the
 * SDK): `turns` counts speaker turns so far (stop conditions may read it), `ended` is the reason once
 * the conversation is over and the `then` roles run.
 */
export const FLOW_STATE = "_flow";

export interface ConversationState {
  turns: number;
  ended?: string;
}

export function conversationState(task: Task): ConversationState {
  let state = task.state[FLOW_STATE] as ConversationState | undefined;
  if (state === undefined || typeof state !== "object") {
    state = { turns: 0 };
    task.state[FLOW_STATE] = state;
  }
  return state;
}

export function conversationFlow(options: ConversationFlowOptions): Flow {
  const { roles: speakers, after = [], then = [], maxTurns, stop } = options;
  const speakerSet = new Set(speakers);
  const afterIndex = new Map(after.map((role, index) => [role, index]));
  const thenIndex = new Map(then.map((role, index) => [role, index]));

  const finish = (task: Task, reason: string): FlowStep => {
    conversationState(task).ended = reason;
    return then.length > 0 ? { next: then[0]!, reason } : { next: END, reason };
  };

  const afterTurn = async (task: Task, ctx: AgentContext): Promise<FlowStep> => {
    const { turns } = conversationState(task);
    // The stop condition first: agreement reached on the last allowed turn is still agreement.
    if (stop) {
      const verdict = await stop(task, ctx);
      if (verdict) return finish(task, typeof verdict === "string" ? verdict : "stop-condition");
    }
    if (turns >= maxTurns) return finish(task, "max-turns");
    return { next: speakers[turns % speakers.length]! };
  };

  return {
    entry: speakers[0]!,
    roles: [...new Set([...speakers, ...after, ...then])],
    async next(task, justRan, ctx) {
      const state = conversationState(task);
      if (state.ended !== undefined && thenIndex.has(justRan)) {
        const next = then[thenIndex.get(justRan)! + 1];
        return next === undefined ? { next: END, reason: state.ended } : { next };
      }
      if (speakerSet.has(justRan)) {
        state.turns++;
        if (after.length > 0) return { next: after[0]! };
        return afterTurn(task, ctx);
      }
      const index = afterIndex.get(justRan);
      if (index !== undefined) {
        const next = after[index + 1];
        return next === undefined ? afterTurn(task, ctx) : { next };
      }
      return { next: END };
    },
  };
}
