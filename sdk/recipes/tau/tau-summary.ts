/**
 * The tau recipe's run summary: mean reward, pass rate (reward 1), how conversations ended, and the
 * tool traffic behind them. Written as a summary metric (`{ initial, accumulate, result }`, folded
 * over finished tasks where the sink is), so the recipe declares it with `.metric("tau", { module:
 * "tau", export: "tauMetric" })` and it lands in `summary.json` as `metrics.tau`; `tauSummary(tasks)`
 * is the same fold over a list (a notebook's `run.results()`).
 *
 * Where you are: `recipes/tau/`, part of the runtime module. Tasks without a reward (failed: an LLM
 * error after retries, a bad task row) are counted as `failed` and left out of the means: they say
 * nothing about the agent.
 */
import type { Task } from "../../schema/task.js";
import type { TauState } from "./tau-module.js";

export interface TauSummary {
  /** Finished tasks that were scored. */
  tasks: number;
  /** Tasks that ended without a score (failed or filtered). */
  failed: number;
  /** Mean reward over scored tasks (0 when there are none). */
  meanReward: number;
  /** Share of scored tasks with reward 1. */
  passRate: number;
  /** Scored tasks per termination reason: user_stop, agent_stop, max_steps, too_many_errors. */
  termination: Record<string, number>;
  /** Mean conversation steps (messages, as tau2 counts them) per scored task. */
  meanSteps: number;
  /** Tool calls made by every role in scored tasks, and how many failed. */
  toolCalls: number;
  toolErrors: number;
  /** Mean of each reward-basis component, over the scored tasks where it was evaluated. */
  components: Record<string, number>;
}

interface Accumulator {
  scored: number;
  failed: number;
  rewardSum: number;
  passed: number;
  steps: number;
  toolCalls: number;
  toolErrors: number;
  termination: Record<string, number>;
  components: Record<string, { sum: number; count: number }>;
}

function add(acc: Accumulator, task: Task): Accumulator {
  const tau = task.state.tau as TauState | undefined;
  if (task.status !== "done" || tau?.reward === undefined) {
    acc.failed++;
    return acc;
  }
  acc.scored++;
  acc.rewardSum += tau.reward;
  if (tau.reward === 1) acc.passed++;
  acc.steps += tau.steps ?? 0;
  const reason = tau.termination ?? "unknown";
  acc.termination[reason] = (acc.termination[reason] ?? 0) + 1;
  for (const [name, value] of Object.entries(tau.info?.breakdown ?? {})) {
    const entry = (acc.components[name] ??= { sum: 0, count: 0 });
    entry.sum += value ?? 0;
    entry.count++;
  }
  for (const turn of task.history) {
    if (turn.toolCallId === undefined) continue;
    acc.toolCalls++;
    if (turn.toolOk === false) acc.toolErrors++;
  }
  return acc;
}

function result(acc: Accumulator): TauSummary {
  const mean = (sum: number, count: number) => (count === 0 ? 0 : sum / count);
  return {
    tasks: acc.scored,
    failed: acc.failed,
    meanReward: mean(acc.rewardSum, acc.scored),
    passRate: mean(acc.passed, acc.scored),
    termination: acc.termination,
    meanSteps: mean(acc.steps, acc.scored),
    toolCalls: acc.toolCalls,
    toolErrors: acc.toolErrors,
    components: Object.fromEntries(
      Object.entries(acc.components).map(([name, { sum, count }]) => [name, mean(sum, count)]),
    ),
  };
}

const initial = (): Accumulator => ({
  scored: 0,
  failed: 0,
  rewardSum: 0,
  passed: 0,
  steps: 0,
  toolCalls: 0,
  toolErrors: 0,
  termination: {},
  components: {},
});

/** The summary metric (the hook's `{ initial, accumulate, result }` shape). */
export const tauMetric = {
  initial,
  accumulate: (acc: Accumulator, task: Task) => add(acc, task),
  result: (acc: Accumulator) => result(acc),
};

/** The summary of a list of finished tasks. */
export function tauSummary(tasks: Iterable<Task>): TauSummary {
  let acc = initial();
  for (const task of tasks) acc = add(acc, task);
  return result(acc);
}
