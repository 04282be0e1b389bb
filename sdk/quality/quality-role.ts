/**
 * The `quality` role: runs its checks on the task's fields; the first that fails ends the task as
 * `filtered` with the check's reason. What was measured goes to `state[role]` either way.
 *
 * Where you are: `quality/`; agent/role-handler.ts maps `kind: "quality"` here. A field that is not
 * there is the task's own fault (QualityFieldError): the task is dead-lettered, naming the role and
 * the field, and the run goes on.
 */
import type { Handler } from "../agent/task-update.js";
import type { QualityRoleDefinition } from "../schema/pipeline-definition.js";
import { runChecks } from "./quality-check.js";
import { valueOfTask } from "./text-field.js";

export function qualityAgent(role: string, definition: QualityRoleDefinition): Handler {
  return async (task, ctx) => {
    const values = new Map<string, unknown>();
    for (const check of definition.checks) {
      const field = check.field ?? "last";
      if (!values.has(field)) values.set(field, await valueOfTask(task, field, ctx.content));
    }
    const result = runChecks(definition.checks, (check) => values.get(check.field ?? "last"));
    const state = { [role]: result.measures };
    return result.pass ? { state } : { state, end: "filtered", reason: result.reason };
  };
}
