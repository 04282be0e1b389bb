/**
 * One hop: run a role's handler on a task, apply its update, and let the flow pick the next role.
 *
 * Where you are: `agent/`. This is the inner loop of the whole system; it runs once per task per role
 * on every bus. It never throws for a task's own failure: a handler or flow error becomes a failed
 * task bound for the sink (or, when the error may pass, a request to retry the delivery).
 */
import { AgentError, MatrixError, serializeError } from "../errors.js";
import { END, type Flow, type FlowStep } from "../flow/flow.js";
import { isThenable } from "../flow/maybe-async.js";
import { SINK, type Task } from "../schema/task.js";
import type { AgentContext } from "./agent-context.js";
import { replayStep } from "./replay.js";
import { applyUpdate, type Handler } from "./task-update.js";

export interface HopOptions {
  /** A task that reaches this many hops fails (a routing loop guard). */
  maxHops: number;
  /** Deliveries of one hop before a throwing handler fails the task. */
  maxAttempts: number;
  /** Roles the flow may route to. */
  roles: ReadonlySet<string>;
}

export type HopOutcome =
  | { kind: "next"; task: Task; promptTokens: number; completionTokens: number; model?: string }
  | { kind: "retry"; error: unknown };

function fail(task: Task, role: string, error: unknown): void {
  task.status = "failed";
  task.error = serializeError(error, role);
  task.reason = "error";
  task.cursor = SINK;
  task.timestamps.finished = Date.now();
  if (task.replay !== undefined) delete task.replay;
}

function endTask(task: Task, status: "done" | "filtered" | "failed", reason: string | undefined): void {
  task.status = status;
  if (reason !== undefined) task.reason = reason;
  task.cursor = SINK;
  task.timestamps.finished = Date.now();
  if (task.replay !== undefined) delete task.replay;
}

/** Whether a failed handler should be retried on another delivery rather than fail the task now. */
function retryable(error: unknown): boolean {
  // Our own errors say whether a retry can help (a 429 can; a bad template cannot). Other errors
  // might be transient (a dropped socket), so they get the attempts budget, except plain bugs.
  if (MatrixError.isInstance(error)) return error.isRetryable;
  // These are bugs in the handler's code: the same input fails the same way every time.
  if (
    error instanceof TypeError ||
    error instanceof ReferenceError ||
    error instanceof SyntaxError ||
    error instanceof RangeError
  ) {
    return false;
  }
  return true;
}

export async function runHop(
  task: Task,
  role: string,
  handler: Handler,
  flow: Flow,
  ctx: AgentContext,
  options: HopOptions,
): Promise<HopOutcome> {
  const start = Date.now();
  let update;
  try {
    // A fork replays its original's turns first (agent/replay.ts); every other task goes straight on.
    const answer = task.replay === undefined ? handler(task, ctx) : replayStep(task, role, handler, ctx);
    update = isThenable(answer) ? await answer : answer;
  } catch (error) {
    if (retryable(error) && task.attempt < options.maxAttempts && !ctx.signal.aborted) return { kind: "retry", error };
    const wrapped = MatrixError.isInstance(error)
      ? error
      : new AgentError(role, task.id, (error as Error)?.message ?? String(error), { cause: error });
    fail(task, role, wrapped);
    return { kind: "next", task, promptTokens: 0, completionTokens: 0 };
  }
  const end = Date.now();
  task.hops++;
  task.attempt = 0;
  if (update) applyUpdate(task, update, role, ctx.agent, start, end);
  const promptTokens = update?.usage?.promptTokens ?? 0;
  const completionTokens = update?.usage?.completionTokens ?? 0;
  const model = update?.model;
  if (update?.end) {
    endTask(task, update.end, update.reason);
    return { kind: "next", task, promptTokens, completionTokens, model };
  }
  try {
    // Most flows answer synchronously; awaiting a plain value would still cost a turn of the microtask queue.
    const next = update?.next !== undefined ? { next: update.next } : flow.next(task, role, ctx);
    const step: FlowStep = isThenable(next) ? await next : next;
    if (step.next === END || step.next === SINK) {
      endTask(task, "done", step.reason ?? "completed");
    } else if (!options.roles.has(step.next)) {
      fail(task, role, new AgentError(role, task.id, `routed to '${step.next}', which is not a role of this pipeline`));
    } else if (task.hops >= options.maxHops) {
      fail(task, role, new AgentError(role, task.id, `reached maxHops (${options.maxHops}); is the flow looping?`));
    } else {
      task.cursor = step.next;
    }
  } catch (error) {
    fail(
      task,
      role,
      new AgentError(role, task.id, `the flow failed: ${(error as Error)?.message ?? error}`, { cause: error }),
    );
  }
  return { kind: "next", task, promptTokens, completionTokens, model };
}
