/**
 * The tool loop a chat role runs when it offers tools with `run`: the model answers with tool calls,
 * each call is checked against its schema and executed, the results go back to the model as `tool`
 * messages, and so on until the model answers without calls or the loop stops.
 *
 * Where you are: `tools/`. The loop is made of hops, so it survives a worker dying at any point:
 *   1. model hop: one LLM call; a reply with calls is appended as a turn and the task goes back to the
 *      same role (`next: role`);
 *   2. tool hop: the pending calls run against the environment state carried in the task
 *      (`state._env`); their results are appended as turns, then back to 1 — or, when a limit or the
 *      stop condition says so, the role's answer ends there and the flow picks the next role.
 * A redelivery repeats at most the hop that was interrupted, from the state before it: the effects of
 * an interrupted tool hop were never published, so no call is ever applied twice to the environment.
 * Loop bookkeeping lives under `state._tools.<role>` (`rounds` in the current answer, `calls` and
 * `errors` in the task so far, and `stopped` with the reason when a limit ended the answer).
 */
import type { AgentContext } from "../agent/agent-context.js";
import type { TaskUpdate } from "../agent/task-update.js";
import { compileFunction } from "../flow/function-source.js";
import { validateJsonSchema } from "../llm/json-schema-validator.js";
import type { ChatRoleDefinition, ToolDefinitionJson } from "../schema/pipeline-definition.js";
import type { Task } from "../schema/task.js";
import type { ToolCall, Turn } from "../schema/turn.js";
import type { ToolEnvironment, ToolRunFn } from "./tool.js";

/** The task-state key of the environment state tools act on. */
export const ENV_STATE = "_env";
/** The task-state key of the loop's bookkeeping, per role. */
export const TOOL_LOOP_STATE = "_tools";
/** Tool rounds in one answer before the loop stops, unless `toolLoop.maxSteps` says otherwise. */
export const DEFAULT_MAX_TOOL_STEPS = 16;

export interface ToolLoopState {
  /** Tool rounds (a reply with calls, then their results) in the role's current answer. */
  rounds: number;
  /** Calls made by this role in the task so far. */
  calls: number;
  /** Of those, calls that failed (bad arguments, unknown tool, the tool threw). */
  errors: number;
  /** Why the loop ended the answer early: `max-tool-steps`, or the stop condition's reason. */
  stopped?: string;
}

type StopFn = (task: Task, ctx: AgentContext) => unknown;

export interface ToolLoop {
  /** Whether the role runs a loop at all (some tool has `run`). */
  readonly active: boolean;
  /** The calls of this role's last turn that have no result yet, or undefined. */
  pendingCalls(task: Task): ToolCall[] | undefined;
  /** Runs the pending calls: their result turns, the new environment state, and where the task goes next. */
  runCalls(task: Task, calls: ToolCall[], ctx: AgentContext): Promise<TaskUpdate>;
  /** The bookkeeping after a model reply: with calls the task comes back here (`next`), without them the answer is done. */
  afterReply(task: Task, hasCalls: boolean): Pick<TaskUpdate, "state" | "next">;
}

interface CompiledTool {
  definition: ToolDefinitionJson;
  run?: ToolRunFn;
}

/** The loop's bookkeeping for `role` (zeros when it has not run yet). */
export function toolLoopState(task: Task, role: string): ToolLoopState {
  const all = task.state[TOOL_LOOP_STATE] as Record<string, ToolLoopState> | undefined;
  return all?.[role] ?? { rounds: 0, calls: 0, errors: 0 };
}

function withLoopState(task: Task, role: string, state: ToolLoopState): Record<string, unknown> {
  const all = (task.state[TOOL_LOOP_STATE] as Record<string, ToolLoopState> | undefined) ?? {};
  return { [TOOL_LOOP_STATE]: { ...all, [role]: state } };
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The text a tool result is sent to the model as: strings as they are, anything else as JSON. */
export function resultText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value === undefined) return "";
  return JSON.stringify(value) ?? String(value);
}

export function toolLoop(role: string, definition: ChatRoleDefinition): ToolLoop {
  const tools = new Map<string, CompiledTool>();
  for (const [index, spec] of (definition.tools ?? []).entries()) {
    tools.set(spec.name, {
      definition: spec,
      run: spec.run ? compileFunction<ToolRunFn>(spec.run, `roles.${role}.tools[${index}].run`) : undefined,
    });
  }
  const active = [...tools.values()].some((entry) => entry.run !== undefined);
  const maxSteps = definition.toolLoop?.maxSteps ?? DEFAULT_MAX_TOOL_STEPS;
  const stop = definition.toolLoop?.stop
    ? compileFunction<StopFn>(definition.toolLoop.stop, `roles.${role}.toolLoop.stop`)
    : undefined;

  /** One call: the result text, whether it worked, and the environment state after it. */
  const execute = async (
    task: Task,
    call: ToolCall,
    envState: Record<string, unknown>,
    ctx: AgentContext,
  ): Promise<{ content: string; ok: boolean; envState: Record<string, unknown> }> => {
    const name = call.function.name;
    const failed = (message: string) => ({ content: `Error: ${message}`, ok: false, envState });
    const entry = tools.get(name);
    if (!entry) return failed(`Tool '${name}' not found. The tools are: ${[...tools.keys()].join(", ")}.`);
    if (!entry.run) return failed(`Tool '${name}' has no implementation in this pipeline.`);
    let args: unknown;
    try {
      args = call.function.arguments.trim() === "" ? {} : JSON.parse(call.function.arguments);
    } catch (error) {
      return failed(`the arguments of '${name}' are not valid JSON (${errorText(error)}).`);
    }
    const issues = validateJsonSchema(entry.definition.parameters, args);
    if (issues.length > 0) return failed(`invalid arguments for '${name}': ${issues.join("; ")}.`);
    // The tool works on a copy: a tool that throws half-way leaves the environment as it was.
    const env: ToolEnvironment = { state: structuredClone(envState), task, role, name, callId: call.id };
    try {
      const value = await entry.run(args, env, ctx);
      return { content: resultText(value), ok: true, envState: env.state };
    } catch (error) {
      // A tool may fail a call yet keep what it changed (an error with `keepState: true`, e.g. a log of attempts).
      const keep = typeof error === "object" && error !== null && (error as { keepState?: unknown }).keepState === true;
      return { ...failed(errorText(error)), ...(keep ? { envState: env.state } : {}) };
    }
  };

  return {
    active,
    pendingCalls(task) {
      const last = task.history[task.history.length - 1];
      if (!last || last.role !== role || !last.toolCalls?.length || last.toolCallId !== undefined) return undefined;
      return last.toolCalls;
    },
    async runCalls(task, calls, ctx) {
      let envState = (task.state[ENV_STATE] as Record<string, unknown> | undefined) ?? {};
      const turns: NonNullable<TaskUpdate["turns"]> = [];
      const previous = toolLoopState(task, role);
      let errors = 0;
      for (const call of calls) {
        const outcome = await execute(task, call, envState, ctx);
        envState = outcome.envState;
        if (!outcome.ok) errors++;
        turns.push({ content: outcome.content, toolCallId: call.id, toolName: call.function.name, toolOk: outcome.ok });
      }
      const loop: ToolLoopState = {
        rounds: previous.rounds + 1,
        calls: previous.calls + calls.length,
        errors: previous.errors + errors,
      };
      const state = { [ENV_STATE]: envState };
      if (loop.rounds >= maxSteps) loop.stopped = "max-tool-steps";
      else if (stop) {
        // The stop condition sees the task as it will be after this hop.
        const now = Date.now();
        const after: Task = {
          ...task,
          history: [
            ...task.history,
            ...turns.map((turn) => ({ role, agent: ctx.agent, timing: { start: now, end: now }, ...turn }) as Turn),
          ],
          state: { ...task.state, ...state, ...withLoopState(task, role, loop) },
        };
        const verdict = await stop(after, ctx);
        if (verdict) loop.stopped = typeof verdict === "string" ? verdict : "stop-condition";
      }
      return {
        turns,
        state: { ...state, ...withLoopState(task, role, loop) },
        ...(loop.stopped === undefined ? { next: role } : {}),
      };
    },
    afterReply(task, hasCalls) {
      const previous = toolLoopState(task, role);
      // A reply that does not follow this role's own tool results opens a new answer.
      const last = task.history[task.history.length - 1];
      const continuing = last !== undefined && last.role === role && last.toolCallId !== undefined;
      const loop: ToolLoopState = {
        rounds: continuing ? previous.rounds : 0,
        calls: previous.calls,
        errors: previous.errors,
      };
      return { state: withLoopState(task, role, loop), ...(hasCalls ? { next: role } : {}) };
    },
  };
}
