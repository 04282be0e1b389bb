/**
 * The tau2 reward of a finished conversation, computed as tau2-bench's evaluator does:
 *   - DB: the databases after replaying the conversation's changing tool calls (on the task's initial
 *     state) equal those after replaying the task's gold actions;
 *   - ENV_ASSERTION: the task's environment assertions hold on the conversation's environment;
 *   - ACTION: every gold action was called (same name, same compared arguments);
 *   - COMMUNICATE: every `communicate_info` string appears in an assistant message (case-insensitive,
 *     commas ignored);
 *   - NL_ASSERTION: every natural-language assertion was judged met (by the recipe's LLM judge).
 * The reward is the product of the components the task's `reward_basis` lists (default DB and
 * COMMUNICATE). A conversation that did not end with a user or agent stop scores 0, as in tau2.
 *
 * Where you are: `recipes/tau/`, the tau runtime. A pure function of the domain, the task and the
 * trajectory: the recipe's reward agent calls it, and so do the tests that replay gold actions.
 */
import { canonicalJson } from "./database.js";
import type { TauDomain } from "./domain.js";
import type { TauMessage, TauToolCall } from "./environment.js";
import type { RewardType, TauAction, TauTask } from "./task-schema.js";
import { historyMessages } from "./trajectory.js";

/** How a conversation ended (tau2's termination reasons). */
export type TerminationReason = "user_stop" | "agent_stop" | "max_steps" | "too_many_errors";

/** One verdict of the natural-language judge. */
export interface NlCheck {
  assertion: string;
  met: boolean;
  justification?: string;
}

export interface RewardInfo {
  /** The product of the components in `basis` (1 = task solved). */
  reward: number;
  termination: TerminationReason;
  basis: RewardType[];
  /** Each evaluated component of the basis, 0 or 1. */
  breakdown: Partial<Record<RewardType, number>>;
  /** DB check: the assistant's and the user's databases against the gold ones (null when not run). */
  db: { match: boolean; agent: boolean; user: boolean } | null;
  envAssertions: Array<{ function: string; arguments: Record<string, unknown>; met: boolean }>;
  actions: Array<{ actionId?: string; name: string; matched: boolean }>;
  communicate: Array<{ info: string; met: boolean }>;
  /** The judge's verdicts, or null when the task has no NL assertions or no judge ran. */
  nlAssertions: NlCheck[] | null;
  /** Basis components that could not be evaluated (NL assertions without a judge); left out of the product. */
  unevaluated: RewardType[];
  note?: string;
}

/** Whether a call matches a gold action (tau2's `Action.compare_with_tool_call`). */
export function actionMatches(action: TauAction, call: TauToolCall): boolean {
  if (action.name !== call.name) return false;
  const keys = action.compare_args ?? Object.keys(call.arguments);
  if (keys.length === 0) return true;
  const pick = (args: Record<string, unknown>) =>
    Object.fromEntries(keys.filter((key) => key in args).map((key) => [key, args[key]]));
  return canonicalJson(pick(call.arguments)) === canonicalJson(pick(action.arguments));
}

const STOPS: ReadonlySet<string> = new Set(["user_stop", "agent_stop"]);

export function evaluateTau(
  domain: TauDomain,
  task: TauTask,
  trajectory: readonly TauMessage[],
  options: { termination: TerminationReason; nl?: NlCheck[] | null },
): RewardInfo {
  const criteria = task.evaluation_criteria;
  const basis = criteria?.reward_basis ?? ["DB", "COMMUNICATE"];
  const info: RewardInfo = {
    reward: 1,
    termination: options.termination,
    basis,
    breakdown: {},
    db: null,
    envAssertions: [],
    actions: [],
    communicate: [],
    nlAssertions: null,
    unevaluated: [],
  };
  if (!STOPS.has(options.termination)) {
    return { ...info, reward: 0, note: `the conversation ended with ${options.termination}, not a stop` };
  }
  if (!criteria) return { ...info, note: "the task has no evaluation criteria" };

  // Environment: the conversation's state against the gold state.
  const history = historyMessages(task);
  let dbReward = 1;
  let assertionReward = 1;
  if (criteria.actions == null && criteria.env_assertions == null) {
    info.db = { match: true, agent: true, user: true };
  } else {
    const predicted = domain.environment();
    predicted.applyInitialState(task.initial_state);
    predicted.replay(trajectory);
    const gold = domain.environment();
    gold.applyInitialState(task.initial_state, history);
    // A failing gold action is skipped, as tau2 does (it logs and goes on); reads change nothing.
    for (const action of criteria.actions ?? [])
      if (gold.isMutating(action.name, action.requestor)) gold.call(action.name, action.arguments, action.requestor);
    const match = predicted.matches(gold);
    info.db = { match: match.agent && match.user, ...match };
    dbReward = info.db.match ? 1 : 0;
    for (const assertion of criteria.env_assertions ?? []) {
      let met: boolean;
      try {
        met = predicted.assert(assertion);
      } catch {
        met = false;
      }
      info.envAssertions.push({ function: assertion.func_name, arguments: assertion.arguments, met });
      if (!met) assertionReward = 0;
    }
  }

  // Actions: every gold action among the calls made.
  const calls = trajectory.flatMap((message) => (message.role === "tool" ? [] : (message.tool_calls ?? [])));
  info.actions = (criteria.actions ?? []).map((action) => ({
    ...(action.action_id !== undefined ? { actionId: action.action_id } : {}),
    name: action.name,
    matched: calls.some((call) => actionMatches(action, call)),
  }));
  const actionReward = info.actions.every((check) => check.matched) ? 1 : 0;

  // Communication: every expected string in some assistant message.
  const said = trajectory
    .filter((message) => message.role === "assistant" && typeof message.content === "string" && message.content !== "")
    .map((message) => (message.content as string).toLowerCase().replace(/,/g, ""));
  info.communicate = (criteria.communicate_info ?? []).map((text) => ({
    info: text,
    met: said.some((message) => message.includes(text.toLowerCase())),
  }));
  const communicateReward = info.communicate.every((check) => check.met) ? 1 : 0;

  // Natural-language assertions: the judge's verdicts, matched to the assertions.
  let nlReward: number | undefined = 1;
  const assertions = criteria.nl_assertions ?? [];
  if (assertions.length > 0) {
    if (options.nl == null) nlReward = undefined;
    else {
      info.nlAssertions = assertions.map((assertion, index) => {
        const verdict = options.nl!.find((check) => check.assertion === assertion) ?? options.nl![index];
        return {
          assertion,
          met: verdict?.met === true,
          ...(verdict?.justification ? { justification: verdict.justification } : {}),
        };
      });
      nlReward = info.nlAssertions.every((check) => check.met) ? 1 : 0;
    }
  }

  const components: Record<RewardType, number | undefined> = {
    DB: dbReward,
    ENV_ASSERTION: assertionReward,
    ACTION: actionReward,
    COMMUNICATE: communicateReward,
    NL_ASSERTION: nlReward,
  };
  for (const component of basis) {
    const value = components[component];
    if (value === undefined) info.unevaluated.push(component);
    else {
      info.breakdown[component] = value;
      info.reward *= value;
    }
  }
  return info;
}
