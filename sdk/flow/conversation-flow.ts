/**
 * Conversation: speakers alternate until a stop condition or `maxTurns`; optional roles run after
 * every speaker turn (an extractor) and once at the end (a judge).
 *
 * Where you are: `flow/`. The position in the loop is derived from the role that just ran and
 * `task.state.turns` (speaker turns so far), both travelling with the task.
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

/** The state key holding speaker turns so far. */
export const TURNS = "turns";
/** The state key set once the conversation has ended (its reason), while `then` roles run. */
const ENDED = "endedBy";

export function conversationFlow(options: ConversationFlowOptions): Flow {
  const { roles: speakers, after = [], then = [], maxTurns, stop } = options;
  const speakerSet = new Set(speakers);
  const afterIndex = new Map(after.map((role, index) => [role, index]));
  const thenIndex = new Map(then.map((role, index) => [role, index]));

  const finish = (task: Task, reason: string): FlowStep => {
    task.state[ENDED] = reason;
    return then.length > 0 ? { next: then[0]!, reason } : { next: END, reason };
  };

  const afterTurn = async (task: Task, ctx: AgentContext): Promise<FlowStep> => {
    const turns = Number(task.state[TURNS] ?? 0);
    if (turns >= maxTurns) return finish(task, "max-turns");
    if (stop) {
      const verdict = await stop(task, ctx);
      if (verdict) return finish(task, typeof verdict === "string" ? verdict : "stop-condition");
    }
    return { next: speakers[turns % speakers.length]! };
  };

  return {
    entry: speakers[0]!,
    roles: [...new Set([...speakers, ...after, ...then])],
    async next(task, justRan, ctx) {
      if (task.state[ENDED] !== undefined && thenIndex.has(justRan)) {
        const next = then[thenIndex.get(justRan)! + 1];
        return next === undefined ? { next: END, reason: String(task.state[ENDED]) } : { next };
      }
      if (speakerSet.has(justRan)) {
        task.state[TURNS] = Number(task.state[TURNS] ?? 0) + 1;
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
