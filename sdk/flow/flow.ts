/**
 * Flows pick the next role after each hop, inside the agent that just finished: there is no
 * scheduler process (DESIGN §2).
 *
 * Where you are: `flow/`. `compileFlow` turns a FlowDefinition into a `Flow`; each kind lives in its
 * own file. The next role is derived from the task (its state and the role that just ran), so a
 * task can be handled by any instance on any machine.
 */
import type { AgentContext } from "../agent/agent-context.js";
import type { Task } from "../schema/task.js";

/** What `next` returns to end a task: the sink. */
export const END = "_end";

export interface FlowStep {
  /** The next role, or END. */
  next: string;
  /** Why the task ends, when it does (e.g. `max-turns`). */
  reason?: string;
}

export interface Flow {
  readonly entry: string;
  /** Every role the flow can route to. */
  readonly roles: readonly string[];
  next(task: Task, justRan: string, ctx: AgentContext): FlowStep | Promise<FlowStep>;
}
