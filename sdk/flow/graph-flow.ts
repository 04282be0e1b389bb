/**
 * Graph: nodes are roles; after a node finishes, its outgoing edges are checked in order and the first
 * whose condition holds (or that has none) is taken. `_end` ends the task.
 *
 * Where you are: `flow/`.
 */
import type { AgentContext } from "../agent/agent-context.js";
import type { Task } from "../schema/task.js";
import { END, type Flow, type FlowStep } from "./flow.js";

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
    async next(task: Task, justRan: string, ctx: AgentContext): Promise<FlowStep> {
      for (const edge of outgoing.get(justRan) ?? []) {
        if (!edge.when || (await edge.when(task, ctx))) return { next: edge.to };
      }
      return { next: END, reason: "no-edge" };
    },
  };
}
