/**
 * Custom router: a function of the task decides the next role; null or `_end` ends the task.
 *
 * Where you are: `flow/`.
 */
import type { AgentContext } from "../agent/agent-context.js";
import type { Task } from "../schema/task.js";
import { END, type Flow, type FlowStep } from "./flow.js";

export type Router = (
  task: Task,
  justRan: string,
  ctx: AgentContext,
) => string | null | undefined | Promise<string | null | undefined>;

export function routerFlow(entry: string, roles: readonly string[], route: Router): Flow {
  return {
    entry,
    roles,
    async next(task, justRan, ctx): Promise<FlowStep> {
      const next = await route(task, justRan, ctx);
      return next ? { next } : { next: END };
    },
  };
}
