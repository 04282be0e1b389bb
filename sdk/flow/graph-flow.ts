/**
 * Graph: nodes are roles; after a node finishes, its outgoing edges are checked in order and the first
 * whose condition holds (or that has none) is taken. `_end` ends the task.
 *
 * Where you are: `flow/`.
 */
import type { AgentContext } from "../agent/agent-context.js";
import type { Task } from "../schema/task.js";
import { END, type Flow, type FlowStep } from "./flow.js";
import { isThenable, thenMaybe } from "./maybe-async.js";

export type EdgeCondition = (task: Task, ctx: AgentContext) => unknown;

export interface GraphEdge {
  from: string;
  to: string;
  when?: EdgeCondition;
}

export function graphFlow(entry: string, edges: readonly GraphEdge[]): Flow {
  const outgoing = new Map<string, GraphEdge[]>();
  for (const edge of edges) {
    const list = outgoing.get(edge.from) ?? [];
    list.push(edge);
    outgoing.set(edge.from, list);
  }
  const roles = [...new Set([entry, ...edges.flatMap((edge) => [edge.from, edge.to])])].filter((role) => role !== END);
  return {
    entry,
    roles,
    next(task: Task, justRan: string, ctx: AgentContext): FlowStep | Promise<FlowStep> {
      return firstEdge(outgoing.get(justRan) ?? [], 0, task, ctx);
    },
  };
}

/** The first edge from `from` on whose condition holds; a condition is awaited only when it returns a promise. */
function firstEdge(edges: GraphEdge[], from: number, task: Task, ctx: AgentContext): FlowStep | Promise<FlowStep> {
  for (let index = from; index < edges.length; index++) {
    const edge = edges[index]!;
    if (!edge.when) return { next: edge.to };
    const holds = edge.when(task, ctx);
    if (isThenable(holds))
      return thenMaybe(holds, (yes) => (yes ? { next: edge.to } : firstEdge(edges, index + 1, task, ctx)));
    if (holds) return { next: edge.to };
  }
  return { next: END, reason: "no-edge" };
}
