/**
 * The tau recipe's runtime: what its inline functions call as `ctx.modules.tau.*` — starting a task,
 * running a tool, deciding who speaks next and when the conversation ends, and scoring it. The recipe
 * ships this file as a pipeline module (bundled, so a worker needs nothing from the driver's disk), and
 * the domain database as the JSON module `tauDb` (and `tauUserDb`).
 *
 * Where you are: `recipes/tau/`. The environment travels with the task as the list of its
 * database-changing calls (`state._env.calls`, a few hundred bytes), never as the database (2.8 MB for
 * retail): each tool hop rebuilds the environment from the seed, the task's initial state and that list
 * (copy-on-write, microseconds), runs the call, and records it if it changed the database. A
 * redelivered hop therefore starts again from the state the task carries, so no call is applied twice.
 */
import type { AgentContext } from "../../agent/agent-context.js";
import type { TaskUpdate } from "../../agent/task-update.js";
import type { Task } from "../../schema/task.js";
import type { Turn } from "../../schema/turn.js";
import type { ToolEnvironment } from "../../tools/tool.js";
import type { JsonObject } from "./database.js";
import { tauDomain, type TauDomain } from "./domain.js";
import type { Requestor, TauEnvironment } from "./environment.js";
import { evaluateTau, type NlCheck, type RewardInfo, type TerminationReason } from "./evaluate.js";
import {
  AGENT_STOP_TOKEN,
  GREETING,
  nlJudgePrompt as judgePrompt,
  USER_STOP_TOKENS,
  userSystemPrompt,
} from "./prompts.js";
import { parseTauTask, type TauTask } from "./task-schema.js";
import { historyMessages, messagesToTurns, trajectoryOf, type TauRoles } from "./trajectory.js";

export { tauMetric } from "./tau-summary.js";

/** What the recipe puts in `params.tau`. */
export interface TauParams {
  domain: string;
  roles: TauRoles;
  /** tau2's `max_steps`: messages (agent, user, one per batch of tool results) before the conversation stops. */
  maxSteps: number;
  /** tau2's `max_errors`: failed tool calls before the conversation stops. */
  maxErrors: number;
  /** The NL-assertion judge role, when the recipe has one. */
  judge?: string;
  reward: string;
}

/** A database-changing call, as the task's environment state records it. */
export interface RecordedCall {
  name: string;
  arguments: Record<string, unknown>;
  requestor: Requestor;
}

/** The recipe's own bookkeeping in `task.state.tau`. */
export interface TauState {
  /** History turns that opened the conversation (the greeting, or the task's message history). */
  start: number;
  /** The simulated user's system prompt (guidelines and this task's scenario). */
  userSystem: string;
  reward?: number;
  termination?: TerminationReason;
  steps?: number;
  errors?: number;
  info?: RewardInfo;
}

const domains = new WeakMap<object, TauDomain>();

function params(ctx: AgentContext): TauParams {
  return ctx.params.tau as TauParams;
}

/** The run's domain, built once per process from the database module the run shipped. */
export function domainOf(ctx: AgentContext): TauDomain {
  const db = ctx.modules.tauDb as JsonObject | undefined;
  if (!db) throw new Error("the tau recipe needs its database module 'tauDb'");
  let domain = domains.get(db);
  if (!domain) {
    domain = tauDomain({ name: params(ctx).domain, db, userDb: (ctx.modules.tauUserDb as JsonObject) ?? null });
    domains.set(db, domain);
  }
  return domain;
}

function taskOf(task: Task): TauTask {
  return parseTauTask(task.row, `task ${task.rowId}`);
}

function tauState(task: Task): TauState {
  return task.state.tau as TauState;
}

/** The environment a task's next call acts on: seed, initial state, then the recorded calls. */
export function environmentFor(domain: TauDomain, row: TauTask, calls: readonly RecordedCall[]): TauEnvironment {
  const environment = domain.environment();
  environment.applyInitialState(row.initial_state, historyMessages(row));
  for (const call of calls) environment.call(call.name, call.arguments, call.requestor);
  return environment;
}

/** The `setup` role: checks the task, opens the conversation, starts the environment state. */
export function setup(task: Task, ctx: AgentContext): TaskUpdate {
  const row = taskOf(task);
  const { roles } = params(ctx);
  // Fails here, with the task's name, if the initial state does not apply.
  environmentFor(domainOf(ctx), row, []);
  const history = historyMessages(row);
  const turns = history.length > 0 ? messagesToTurns(history, roles) : [{ role: roles.assistant, content: GREETING }];
  const state: TauState = { start: task.history.length + turns.length, userSystem: userSystemPrompt(row) };
  return { turns, state: { tau: state, _env: { calls: [] } } };
}

/** What every tool of the recipe runs: the call against the task's environment. */
export function runTool(args: Record<string, unknown>, env: ToolEnvironment, ctx: AgentContext): string {
  const requestor: Requestor = env.role === params(ctx).roles.user ? "user" : "assistant";
  const calls = (env.state.calls as RecordedCall[] | undefined) ?? [];
  const environment = environmentFor(domainOf(ctx), taskOf(env.task as Task), calls);
  const result = environment.call(env.name, args, requestor);
  // Recorded even when it failed: tau2 replays every changing call, and a failure may have changed something first.
  if (environment.isMutating(env.name, requestor))
    env.state.calls = [...calls, { name: env.name, arguments: args, requestor }];
  const content = environment.content(result);
  if (!result.ok) throw Object.assign(new Error(result.error), { keepState: true });
  return content;
}

/** Messages (agent, user, batches of tool results) and failed calls since the conversation opened. */
export function progress(task: Task, roles: TauRoles): { steps: number; errors: number } {
  const start = tauState(task)?.start ?? 0;
  const answered = new Set<string>();
  let errors = 0;
  for (const turn of task.history.slice(start)) {
    if (turn.toolCallId === undefined) continue;
    answered.add(turn.toolCallId);
    if (turn.toolOk === false) errors++;
  }
  let steps = 0;
  for (const turn of task.history.slice(start)) {
    if ((turn.role !== roles.assistant && turn.role !== roles.user) || turn.toolCallId !== undefined) continue;
    steps++;
    if (turn.toolCalls?.some((call) => answered.has(call.id))) steps++;
  }
  return { steps, errors };
}

function limits(task: Task, tau: TauParams): TerminationReason | undefined {
  const { steps, errors } = progress(task, tau.roles);
  // As tau2 checks them after each step: the error limit wins over the step limit.
  if (errors >= tau.maxErrors) return "too_many_errors";
  if (steps >= tau.maxSteps) return "max_steps";
  return undefined;
}

/** The tool loops' stop condition: tau2's limits, checked after each batch of tool results. */
export function loopStop(task: Task, ctx: AgentContext): TerminationReason | false {
  return limits(task, params(ctx)) ?? false;
}

/** How the conversation has ended, or undefined while it goes on; `content` reads an offloaded turn (NATS). */
export async function termination(
  task: Task,
  tau: TauParams,
  content: (turn: Turn) => Promise<string | null> = async (turn) => turn.content,
): Promise<TerminationReason | undefined> {
  const conversation = task.history.filter(
    (turn) => (turn.role === tau.roles.assistant || turn.role === tau.roles.user) && turn.toolCallId === undefined,
  );
  const last = conversation[conversation.length - 1];
  let reason: TerminationReason | undefined;
  const text = last ? ((await content(last)) ?? "") : "";
  if (last?.role === tau.roles.user && USER_STOP_TOKENS.some((token) => text.includes(token))) reason = "user_stop";
  else if (last?.role === tau.roles.assistant && !last.toolCalls?.length && text.includes(AGENT_STOP_TOKEN))
    reason = "agent_stop";
  const loops = task.state._tools as Record<string, { stopped?: string }> | undefined;
  const stopped = last ? loops?.[last.role]?.stopped : undefined;
  if (stopped) reason = stopped === "too_many_errors" ? "too_many_errors" : "max_steps";
  return limits(task, tau) ?? reason;
}

function needsJudge(task: Task, tau: TauParams, reason: TerminationReason): boolean {
  if (!tau.judge || (reason !== "user_stop" && reason !== "agent_stop")) return false;
  const criteria = taskOf(task).evaluation_criteria;
  return !!criteria?.reward_basis.includes("NL_ASSERTION") && (criteria.nl_assertions?.length ?? 0) > 0;
}

/** The recipe's router: who speaks next, and when the conversation goes to the judge and the reward agent. */
export async function route(task: Task, justRan: string, ctx: AgentContext): Promise<string | null> {
  const tau = params(ctx);
  const { assistant, user } = tau.roles;
  if (justRan === "setup") {
    const last = task.history[task.history.length - 1];
    if (!last) return user;
    const pending = last.toolCalls?.length && last.toolCallId === undefined;
    if (last.toolCallId !== undefined || pending) return last.role;
    return last.role === assistant ? user : assistant;
  }
  if (justRan === assistant || justRan === user) {
    const reason = await termination(task, tau, ctx.content);
    if (reason) return needsJudge(task, tau, reason) ? tau.judge! : tau.reward;
    return justRan === assistant ? user : assistant;
  }
  if (justRan === tau.judge) return tau.reward;
  return null;
}

/** The judge's prompt: the conversation and the task's NL assertions. */
export async function nlJudgePrompt(task: Task, ctx: AgentContext): Promise<string> {
  const trajectory = await trajectoryOf(task, params(ctx).roles, ctx.content);
  return judgePrompt(trajectory, taskOf(task).evaluation_criteria?.nl_assertions ?? []);
}

function judgeVerdicts(value: unknown): NlCheck[] | null {
  const results = (value as { results?: unknown } | undefined)?.results;
  if (!Array.isArray(results)) return null;
  return results.map((result) => {
    const entry = (result ?? {}) as { expectedOutcome?: unknown; metExpectation?: unknown; reasoning?: unknown };
    return {
      assertion: String(entry.expectedOutcome ?? ""),
      met: entry.metExpectation === true,
      ...(typeof entry.reasoning === "string" ? { justification: entry.reasoning } : {}),
    };
  });
}

/** The reward agent every ending passes through: tau2's evaluation of the conversation, then the sink. */
export async function reward(task: Task, ctx: AgentContext): Promise<TaskUpdate> {
  const tau = params(ctx);
  const reason = await termination(task, tau, ctx.content);
  if (!reason) throw new Error("the reward agent was reached before the conversation ended");
  const trajectory = await trajectoryOf(task, tau.roles, ctx.content);
  const nl = tau.judge ? judgeVerdicts(task.state[tau.judge]) : null;
  const info = evaluateTau(domainOf(ctx), taskOf(task), trajectory, { termination: reason, nl });
  const state: TauState = {
    ...tauState(task),
    reward: info.reward,
    termination: reason,
    ...progress(task, tau.roles),
    info,
  };
  return { state: { tau: state }, end: "done", reason };
}
