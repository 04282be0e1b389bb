/**
 * Turns a flow definition (JSON, functions as source) into a runnable Flow.
 *
 * Where you are: `flow/`. This is the only place that compiles flow functions.
 */
import { compileFunction } from "./function-source.js";
import type { FlowDefinition } from "../schema/pipeline-definition.js";
import { conversationFlow, type StopCondition } from "./conversation-flow.js";
import type { Flow } from "./flow.js";
import { graphFlow, type EdgeCondition } from "./graph-flow.js";
import { routerFlow, type Router } from "./router-flow.js";
import { sequenceFlow } from "./sequence-flow.js";

export function compileFlow(definition: FlowDefinition, roleNames: readonly string[]): Flow {
  switch (definition.kind) {
    case "sequence":
      return sequenceFlow(definition.roles);
    case "conversation":
      return conversationFlow({
        roles: definition.roles,
        after: definition.after,
        then: definition.then,
        maxTurns: definition.maxTurns,
        stop: definition.stop ? compileFunction<StopCondition>(definition.stop, "flow.stop") : undefined,
      });
    case "graph":
      return graphFlow(
        definition.entry,
        definition.edges.map((edge, index) => ({
          from: edge.from,
          to: edge.to,
          when: edge.when ? compileFunction<EdgeCondition>(edge.when, `flow.edges[${index}].when`) : undefined,
        })),
      );
    case "router":
      return routerFlow(definition.entry, roleNames, compileFunction<Router>(definition.route, "flow.route"));
  }
}
