/**
 * Maps a role definition to its handler: one place that knows every built-in agent kind.
 *
 * Where you are: `agent/`. Add a new built-in agent kind here and in schema/pipeline-definition.
 */
import type { RoleDefinition } from "../schema/pipeline-definition.js";
import { chatAgent } from "./chat-agent.js";
import { codeAgent, filterAgent } from "./code-agent.js";
import type { Handler } from "./task-update.js";

export function roleHandler(role: string, definition: RoleDefinition, defaults: { model?: string }): Handler {
  switch (definition.kind) {
    case "code":
      return codeAgent(role, definition);
    case "chat":
      return chatAgent(role, definition, defaults);
    case "filter":
      return filterAgent(role, definition);
  }
}
