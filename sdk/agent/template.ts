/**
 * `{{path}}` templates for prompts: `{{row.question}}`, `{{state.answer}}`, `{{params.style}}`.
 *
 * Where you are: `agent/`. A placeholder that names nothing is an error that says which placeholder,
 * in which role, for which task: a silent empty string would poison a whole dataset.
 */
import { AgentError } from "../errors.js";

const PLACEHOLDER = /\{\{\s*([A-Za-z_$][\w$]*(?:\.[\w$]+)*)\s*\}\}/g;

function lookup(scope: Record<string, unknown>, path: string): unknown {
  let value: unknown = scope;
  for (const key of path.split(".")) {
    if (value === null || typeof value !== "object") return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

export function fillTemplate(
  template: string,
  scope: Record<string, unknown>,
  where: { role: string; taskId: string },
): string {
  return template.replace(PLACEHOLDER, (_match, path: string) => {
    const value = lookup(scope, path);
    if (value === undefined) {
      throw new AgentError(where.role, where.taskId, `the prompt placeholder {{${path}}} names nothing in the task`);
    }
    return typeof value === "string" ? value : JSON.stringify(value);
  });
}
