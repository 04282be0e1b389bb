/**
 * Replay: a fork of a finished task carries the first k turns of its original (`task.replay`) and
 * goes through the pipeline again from the start. At each hop, when the original's next turns were
 * made by this role, they are appended exactly as they were instead of running the handler (no LLM
 * call); roles that added no turn there (code roles computing state, judges) run as usual, so the
 * flow's and the roles' state is rebuilt exactly as the original had it at turn k. When the turns
 * are used up the fork continues live, with whatever changed in its pipeline.
 *
 * Where you are: `agent/`, called by hop.ts only when `task.replay` is set: a task that is not a fork
 * pays nothing for it. The turns of one hop are recognised by their shared agent and timing.
 */
import type { Task } from "../schema/task.js";
import type { Turn } from "../schema/turn.js";
import type { AgentContext } from "./agent-context.js";
import type { Handler, TaskUpdate } from "./task-update.js";

/** The role of the hop that appended `turn`: agent names are `<instance>/<role>`. */
function roleOf(turn: Turn): string {
  return turn.agent.slice(turn.agent.lastIndexOf("/") + 1);
}

/** How many of `turns` (from the start) one hop appended: same agent, same timing. */
function hopLength(turns: readonly Turn[]): number {
  const first = turns[0];
  if (first === undefined) return 0;
  let length = 1;
  while (
    length < turns.length &&
    turns[length]!.agent === first.agent &&
    turns[length]!.timing.start === first.timing.start &&
    turns[length]!.timing.end === first.timing.end
  )
    length++;
  return length;
}

function appendsTurn(update: TaskUpdate | void): boolean {
  return (
    !!update &&
    (update.content !== undefined ||
      update.toolCalls !== undefined ||
      update.data !== undefined ||
      !!update.turns?.length)
  );
}

export async function replayStep(
  task: Task,
  role: string,
  handler: Handler,
  ctx: AgentContext,
): Promise<TaskUpdate | void> {
  const pending = task.replay ?? [];
  const length = hopLength(pending);
  if (length > 0 && roleOf(pending[0]!) === role) {
    const replayed = pending.splice(0, length);
    if (pending.length === 0) delete task.replay;
    return { replayed };
  }
  const update = await handler(task, ctx);
  if (appendsTurn(update)) {
    // The original had another role's turn here: the flow went elsewhere (a changed stop condition,
    // or a role that is not deterministic). Stop replaying; from here the fork is live.
    ctx.logger?.warn(
      { taskId: task.id, role, expected: pending[0] ? roleOf(pending[0]) : undefined },
      "the fork left its original's path before its last replayed turn; continuing live",
    );
    delete task.replay;
  }
  return update;
}
