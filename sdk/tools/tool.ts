/**
 * `tool()`: defines a tool a chat role offers the model, with its arguments as a zod schema and its
 * implementation as a function `(args, env, ctx) => result`.
 *
 * Where you are: `tools/`, the tool-calling loop (DESIGN §4). A tool is plain JSON in the pipeline
 * definition, like every role: the zod schema becomes JSON Schema (what the model sees and what each
 * call's arguments are checked against), and `run` is stored by its source text, so it must not capture
 * outer variables; larger code goes in a module and `run` calls `ctx.modules.<name>` (tau's tools do).
 *
 * @example
 * const add = tool({
 *   name: "add",
 *   description: "Adds two numbers.",
 *   parameters: z.object({ a: z.number(), b: z.number() }),
 *   run: ({ a, b }) => a + b,
 * });
 * pipeline("calc").chat("solver", { prompt: "{{row.question}}", tools: [add] });
 */
import type { z } from "zod";
import type { AgentContext } from "../agent/agent-context.js";
import { PipelineDefinitionError } from "../errors.js";
import { toFunctionSource } from "../flow/function-source.js";
import { toJsonSchema } from "../schema/json-schema.js";
import type { ToolDefinitionJson } from "../schema/pipeline-definition.js";
import type { Task } from "../schema/task.js";

/** What a tool's `run` receives besides its arguments. */
export interface ToolEnvironment {
  /**
   * The task's environment state (`task.state._env`): a JSON object that travels with the task. A tool
   * may change it; the change is kept if the tool returns (or throws an error with `keepState: true`),
   * and is published with the task, so a redelivered hop starts again from the state before it (nothing
   * is applied twice).
   */
  state: Record<string, unknown>;
  /** The task as it was when the model made the call (read-only). */
  readonly task: Readonly<Task>;
  /** The role that called the tool. */
  readonly role: string;
  /** The tool being run (one `run` can serve several tools). */
  readonly name: string;
  /** The call's id: the same on every redelivery, so a tool with outside effects can use it as an idempotency key. */
  readonly callId: string;
}

export type ToolRunFn<Args = any> = (args: Args, env: ToolEnvironment, ctx: AgentContext) => unknown;

export interface ToolSpec<S extends z.ZodType> {
  name: string;
  description?: string;
  /** A zod schema of the arguments (an object), or a JSON Schema. */
  parameters: S | Record<string, unknown>;
  /** The implementation. Without it the model's calls are only recorded, never run. */
  run?: ToolRunFn<z.infer<S>>;
}

function isZod(value: unknown): value is z.ZodType {
  return typeof value === "object" && value !== null && "_zod" in value;
}

/** A tool definition (plain JSON) for `chat(role, { tools: [...] })`. */
export function tool<S extends z.ZodType>(spec: ToolSpec<S>): ToolDefinitionJson {
  const where = `tools.${spec.name}`;
  const parameters = isZod(spec.parameters) ? toJsonSchema(spec.parameters, `${where}.parameters`) : spec.parameters;
  if (parameters.type !== undefined && parameters.type !== "object") {
    throw new PipelineDefinitionError(`${where}.parameters`, "tool arguments must be an object schema");
  }
  return {
    name: spec.name,
    ...(spec.description !== undefined ? { description: spec.description } : {}),
    parameters,
    ...(spec.run ? { run: toFunctionSource(spec.run, `${where}.run`) } : {}),
  };
}
