/**
 * The `code` agent: a pure function of the task, `(task, ctx) => TaskUpdate`.
 *
 * Where you are: `agent/`. Use it for parsing, scoring, filtering and any step that needs no LLM.
 */
import { compileFunction } from "../flow/function-source.js";
import type { CodeRoleDefinition, FilterRoleDefinition } from "../schema/pipeline-definition.js";
import type { Handler, TaskUpdate } from "./task-update.js";

export type CodeFunction = (...args: Parameters<Handler>) => TaskUpdate | void | Promise<TaskUpdate | void>;

export function codeAgent(role: string, definition: CodeRoleDefinition): Handler {
  const fn = compileFunction<CodeFunction>(definition.fn, `roles.${role}.fn`);
  // Not wrapped in an async function: a synchronous fn answers without a promise (runHop awaits only
  // a thenable), and a throw is caught by runHop all the same.
  return fn;
}

type Predicate = (...args: Parameters<Handler>) => unknown;

/** The `filter` agent: keeps the task when the predicate holds, else ends it as filtered. */
export function filterAgent(role: string, definition: FilterRoleDefinition): Handler {
  const predicate = compileFunction<Predicate>(definition.fn, `roles.${role}.fn`);
  const reason = definition.reason ?? `filtered-by-${role}`;
  return async (task, ctx) => {
    const verdict = await predicate(task, ctx);
    if (verdict && typeof verdict !== "string") return undefined;
    return { end: "filtered", reason: typeof verdict === "string" && verdict !== "" ? verdict : reason };
  };
}
