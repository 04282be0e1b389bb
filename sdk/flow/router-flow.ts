/**
 * Custom router: a function of the task decides the next role; null or `_end` ends the task.
 *
 * Where you are: `flow/`.
 */
import type { AgentContext } from "../agent/agent-context.js";
import type { Task } from "../schema/task.js";
import { END, type Flow, type FlowStep } from "./flow.js";
import { thenMaybe } from "./maybe-async.js";

export type Router = (
  task: Task,
  justRan: string,
  ctx: AgentContext,
) => string | null | undefined | Promise<string | null | undefined>;

export function routerFlow(entry: string, roles: readonly string[], route: Router): Flow {
  return {
    entry,
    roles,
    next(task, justRan, ctx) {
      return thenMaybe(route(task, justRan, ctx), (next): FlowStep => (next ? { next } : { next: END }));
    },
  };
}
