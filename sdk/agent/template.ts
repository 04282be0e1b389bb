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

const ROOTS = new Set(["row", "state", "params", "task"]);

/**
 * Problems in a template that are certain before any row is seen: unclosed or malformed placeholders,
 * unknown roots, and `{{params.x}}` for params that were never declared. Empty when it is fine.
 */
export function templateProblems(template: string, params: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = [];
  const opened = template.split("{{").length - 1;
  const closed = template.split("}}").length - 1;
  if (opened !== closed) problems.push(`unbalanced braces: ${opened} '{{' but ${closed} '}}'`);
  for (const match of template.matchAll(/\{\{(.*?)\}\}/g)) {
    const inner = match[1]!.trim();
    if (!/^[A-Za-z_$][\w$]*(?:\.[\w$]+)*$/.test(inner)) {
      problems.push(`{{${match[1]}}} is not a path like {{row.question}}`);
      continue;
    }
    const [root, first] = inner.split(".");
    if (!ROOTS.has(root!)) problems.push(`{{${inner}}} must start with row., state., params. or task.`);
    else if (root === "params" && first !== undefined && !(first in params))
      problems.push(`{{${inner}}}: no param '${first}' is declared`);
  }
  return problems;
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
