/**
 * The tau recipe's run summary, a pure function of its finished tasks: mean reward, pass rate (reward
 * 1), how conversations ended, and the tool traffic behind them. It is what the per-pipeline
 * summary-metrics hook writes into `summary.json`, and what a notebook shows.
 *
 * Where you are: `recipes/tau/`. Tasks that failed (an LLM error after retries, a bad task row) have no
 * reward; they are counted as `failed` and left out of the means, since they say nothing about the
 * agent.
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
  /** Tool calls made by every role, and how many failed. */
  toolCalls: number;
  toolErrors: number;
  /** Mean reward per reward-basis component, over the scored tasks where it was evaluated. */
  components: Record<string, number>;
}

export function tauSummary(tasks: Iterable<Task>): TauSummary {
  let scored = 0;
  let failed = 0;
  let rewardSum = 0;
  let passed = 0;
  let steps = 0;
  let toolCalls = 0;
  let toolErrors = 0;
  const termination: Record<string, number> = {};
  const components: Record<string, { sum: number; count: number }> = {};
  for (const task of tasks) {
    const tau = task.state.tau as TauState | undefined;
    if (task.status !== "done" || tau?.reward === undefined) {
      failed++;
      continue;
    }
    scored++;
    rewardSum += tau.reward;
    if (tau.reward === 1) passed++;
    steps += tau.steps ?? 0;
    termination[tau.termination ?? "unknown"] = (termination[tau.termination ?? "unknown"] ?? 0) + 1;
    for (const [name, value] of Object.entries(tau.info?.breakdown ?? {})) {
      const entry = (components[name] ??= { sum: 0, count: 0 });
      entry.sum += value ?? 0;
      entry.count++;
    }
    for (const turn of task.history) {
      if (turn.toolCallId === undefined) continue;
      toolCalls++;
      if (turn.toolOk === false) toolErrors++;
    }
  }
  const mean = (sum: number, count: number) => (count === 0 ? 0 : sum / count);
  return {
    tasks: scored,
    failed,
    meanReward: mean(rewardSum, scored),
    passRate: mean(passed, scored),
    termination,
    meanSteps: mean(steps, scored),
    toolCalls,
    toolErrors,
    components: Object.fromEntries(
      Object.entries(components).map(([name, { sum, count }]) => [name, mean(sum, count)]),
    ),
  };
}
