/**
 * Maps a role definition to its handler: one place that knows every built-in agent kind.
 *
 * Where you are: `agent/`. Add a new built-in agent kind here and in schema/pipeline-definition.
 */
import type { Bus } from "../bus/bus.js";
import { dedupAgent } from "../quality/dedup-role.js";
import { qualityAgent } from "../quality/quality-role.js";
import type { RoleDefinition } from "../schema/pipeline-definition.js";
import { chatAgent } from "./chat-agent.js";
import { codeAgent, filterAgent } from "./code-agent.js";
import type { Handler } from "./task-update.js";

export function roleHandler(
  role: string,
  definition: RoleDefinition,
  defaults: {
    model?: string;
    /** The bus the role runs on: roles that share state across workers (dedup) use its shared store. */
    bus?: Bus;
  },
): Handler {
  switch (definition.kind) {
    case "code":
      return codeAgent(role, definition);
    case "chat":
      return chatAgent(role, definition, defaults);
    case "filter":
      return filterAgent(role, definition);
    case "quality":
      return qualityAgent(role, definition);
    case "dedup":
      return dedupAgent(role, definition, defaults.bus);
  }
}
