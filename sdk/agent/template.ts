/**
 * `{{path}}` templates for prompts: `{{row.question}}`, `{{state.answer}}`, `{{params.style}}`.
 *
 * Where you are: `agent/`. A placeholder that names nothing is an error that says which placeholder,
 * in which role, for which task: a silent empty string would poison a whole dataset.
 */
import { AgentError } from "../errors.js";

const PLACEHOLDER = /\{\{\s*([A-Za-z_$][\w$]*(?:\.[\w$]+)*)\s*\}\}/g;

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
  return compileTemplate(template)(scope, where);
}

/** A template parsed once: fill it with a scope as often as needed (`fillTemplate`, without the parsing). */
export type CompiledTemplate = (scope: Record<string, unknown>, where: { role: string; taskId: string }) => string;

/**
 * Parses `template` once into its literal text and placeholder paths. A role's prompt is the same for
 * every task, and running the placeholder regex (and splitting each path) per call was ~2% of the CPU the
 * SDK adds to an LLM call (bench/llm-cpu-profile.ts, issue #13). Filling gives what `fillTemplate` gives,
 * and fails the same way.
 */
export function compileTemplate(template: string): CompiledTemplate {
  const texts: string[] = [];
  const paths: string[] = [];
  const keys: string[][] = [];
  let last = 0;
  for (const match of template.matchAll(PLACEHOLDER)) {
    texts.push(template.slice(last, match.index));
    paths.push(match[1]!);
    keys.push(match[1]!.split("."));
    last = match.index! + match[0].length;
  }
  if (paths.length === 0) return () => template;
  texts.push(template.slice(last));
  return (scope, where) => {
    let out = texts[0]!;
    for (let index = 0; index < paths.length; index++) {
      let value: unknown = scope;
      for (const key of keys[index]!) {
        if (value === null || typeof value !== "object") {
          value = undefined;
          break;
        }
        value = (value as Record<string, unknown>)[key];
      }
      if (value === undefined) {
        throw new AgentError(
          where.role,
          where.taskId,
          `the prompt placeholder {{${paths[index]}}} names nothing in the task`,
        );
      }
      out += (typeof value === "string" ? value : JSON.stringify(value)) + texts[index + 1]!;
    }
    return out;
  };
}
