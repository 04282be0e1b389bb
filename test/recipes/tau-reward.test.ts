/**
 * The tau2 reward: replaying every shipped task's gold actions scores 1; a wrong action (an extra
 * database change, or a gold change left out) scores less; each component of the reward basis and
 * each termination reason behaves as tau2-bench's evaluator does.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { loadTauDomain, type TauDomain } from "../../sdk/recipes/tau/domain.js";
import type { TauMessage } from "../../sdk/recipes/tau/environment.js";
import { evaluateTau, type NlCheck } from "../../sdk/recipes/tau/evaluate.js";
import type { TauTask } from "../../sdk/recipes/tau/task-schema.js";
import { historyMessages } from "../../sdk/recipes/tau/trajectory.js";

let domains: TauDomain[];
beforeAll(() => {
  domains = [loadTauDomain("datasets/tau2/mock"), loadTauDomain("datasets/tau2/retail")];
});

interface Call {
  name: string;
  arguments: Record<string, unknown>;
  requestor: "assistant" | "user";
}

/** A conversation that makes `calls` (each answered by the environment) and then says `closing`. */
function conversation(domain: TauDomain, task: TauTask, calls: Call[], closing: string): TauMessage[] {
  const history = historyMessages(task);
  const env = domain.environment();
  env.applyInitialState(task.initial_state, history);
  const messages: TauMessage[] = [...history, { role: "assistant", content: "Hi! How can I help you today?" }];
  calls.forEach((call, index) => {
    const id = `call_${index}`;
    const result = env.call(call.name, call.arguments, call.requestor);
    messages.push(
      { role: call.requestor, content: null, tool_calls: [{ id, ...call }] },
      { role: "tool", id, content: env.content(result), requestor: call.requestor, error: !result.ok },
    );
  });
  messages.push({ role: "assistant", content: closing });
  return messages;
}

const goldCalls = (task: TauTask): Call[] =>
  (task.evaluation_criteria?.actions ?? []).map((action) => ({
    name: action.name,
    arguments: action.arguments,
    requestor: action.requestor,
  }));

/**
 * Two mock tasks need more than their gold actions, as they do in tau2-bench:
 * - update_task_with_history_and_env_assertions lists no actions; its reward is the assertion that
 *   task_2 is completed, which the scenario's request (update_task_status) makes true;
 * - update_task_with_user_tools needs the user to dismiss notif_1 (an assertion), which also changes the
 *   user database the gold actions leave alone, so under tau2's rules it cannot score 1 (checked below).
 */
function solution(task: TauTask): Call[] {
  if (task.id === "update_task_with_history_and_env_assertions")
    return [
      { name: "update_task_status", arguments: { task_id: "task_2", status: "completed" }, requestor: "assistant" },
    ];
  return goldCalls(task);
}

const closing = (task: TauTask) => [...(task.evaluation_criteria?.communicate_info ?? []), "All done."].join(" ");
const agreeingJudge = (task: TauTask): NlCheck[] =>
  (task.evaluation_criteria?.nl_assertions ?? []).map((assertion) => ({ assertion, met: true }));

const UNSATISFIABLE = "update_task_with_user_tools";

/** An extra database change the task does not ask for. */
function wrongCall(domain: TauDomain): Call {
  return domain.name === "retail"
    ? {
        name: "modify_user_address",
        arguments: {
          user_id: "noah_brown_6181",
          address1: "1 Wrong Way",
          address2: "",
          city: "Nowhere",
          state: "NA",
          country: "USA",
          zip: "00000",
        },
        requestor: "assistant",
      }
    : { name: "create_task", arguments: { user_id: "user_1", title: "Not asked for" }, requestor: "assistant" };
}

describe("the tau2 reward", () => {
  it("replaying every shipped task's gold actions gives full reward", () => {
    let scored = 0;
    for (const domain of domains) {
      for (const task of domain.tasks) {
        if (task.id === UNSATISFIABLE) continue;
        const info = evaluateTau(domain, task, conversation(domain, task, solution(task), closing(task)), {
          termination: "user_stop",
          nl: agreeingJudge(task),
        });
        expect({ id: `${domain.name}/${task.id}`, reward: info.reward, unevaluated: info.unevaluated }).toEqual({
          id: `${domain.name}/${task.id}`,
          reward: 1,
          unevaluated: [],
        });
        scored++;
      }
    }
    expect(scored).toBe(10 + 114 - 1);
  });

  it("a wrong action scores less: an extra change, or the last gold change left out", () => {
    let checked = 0;
    for (const domain of domains) {
      for (const task of domain.tasks) {
        const basis = task.evaluation_criteria?.reward_basis ?? [];
        const calls = solution(task);
        const nl = agreeingJudge(task);
        // As in tau2, a task with neither actions nor assertions never checks the database.
        const checksDb = task.evaluation_criteria?.actions != null || task.evaluation_criteria?.env_assertions != null;
        if (basis.includes("DB") && checksDb) {
          const extra = evaluateTau(
            domain,
            task,
            conversation(domain, task, [...calls, wrongCall(domain)], closing(task)),
            {
              termination: "user_stop",
              nl,
            },
          );
          expect({ id: task.id, reward: extra.reward, db: extra.db?.match }).toEqual({
            id: task.id,
            reward: 0,
            db: false,
          });
          checked++;
        }
        // Changes that take effect: a gold action tau2 itself cannot apply (retail task 105 pays more than
        // the gift card holds) is skipped by its evaluator, and leaving it out changes nothing.
        const env = domain.environment();
        env.applyInitialState(task.initial_state, historyMessages(task));
        const writes = calls.filter(
          (call) => env.isMutating(call.name, call.requestor) && env.call(call.name, call.arguments, call.requestor).ok,
        );
        if (writes.length > 0) {
          // The last change: an earlier one may be undone by a later one (retail task 22 moves an address and back).
          const missing = calls.filter((call) => call !== writes[writes.length - 1]);
          const info = evaluateTau(domain, task, conversation(domain, task, missing, closing(task)), {
            termination: "user_stop",
            nl,
          });
          expect({ id: task.id, below: info.reward < 1 }).toEqual({ id: task.id, below: true });
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(150);
  });

  it("a conversation that did not end with a stop scores 0, whatever it did", () => {
    const [mock] = domains;
    const task = mock!.tasks.find((t) => t.id === "create_task_1")!;
    const trajectory = conversation(mock!, task, goldCalls(task), "Done.");
    for (const termination of ["max_steps", "too_many_errors"] as const) {
      const info = evaluateTau(mock!, task, trajectory, { termination });
      expect(info).toMatchObject({
        reward: 0,
        termination,
        note: `the conversation ended with ${termination}, not a stop`,
      });
    }
    expect(evaluateTau(mock!, task, trajectory, { termination: "agent_stop" }).reward).toBe(1);
  });

  it("checks each component of the basis: DB, ENV_ASSERTION, ACTION, COMMUNICATE, NL_ASSERTION", () => {
    const [mock, retail] = domains as [TauDomain, TauDomain];
    const byId = (domain: TauDomain, id: string) => domain.tasks.find((task) => task.id === id)!;

    // ENV_ASSERTION alone: only the final state matters.
    const history = byId(mock, "update_task_with_history_and_env_assertions");
    const idle = evaluateTau(mock, history, conversation(mock, history, [], "ok"), { termination: "user_stop" });
    expect(idle).toMatchObject({ reward: 0, breakdown: { ENV_ASSERTION: 0 } });
    expect(idle.envAssertions).toEqual([
      { function: "assert_task_status", arguments: { task_id: "task_2", expected_status: "completed" }, met: false },
    ]);

    // ACTION with compare_args []: any transfer matches, whatever its summary.
    const impossible = byId(mock, "impossible_task_1");
    const transfer: Call = {
      name: "transfer_to_human_agents",
      arguments: { summary: "anything" },
      requestor: "assistant",
    };
    expect(
      evaluateTau(mock, impossible, conversation(mock, impossible, [transfer], "ok"), { termination: "user_stop" })
        .reward,
    ).toBe(1);
    const none = evaluateTau(mock, impossible, conversation(mock, impossible, [], "ok"), { termination: "user_stop" });
    expect(none).toMatchObject({
      reward: 0,
      breakdown: { DB: 1, ACTION: 0 },
      actions: [{ name: "transfer_to_human_agents", matched: false }],
    });

    // COMMUNICATE (the default basis with DB): the information must be said, commas and case aside.
    const told = byId(mock, "update_task_with_initialization_data");
    const silent = evaluateTau(mock, told, conversation(mock, told, goldCalls(told), "ok"), {
      termination: "user_stop",
    });
    expect(silent).toMatchObject({ reward: 0, basis: ["DB", "COMMUNICATE"], breakdown: { DB: 1, COMMUNICATE: 0 } });

    // NL_ASSERTION: the judge's verdict counts; without a judge it is reported, not guessed.
    const nlTask = retail.tasks.find((task) => (task.evaluation_criteria?.nl_assertions?.length ?? 0) > 0)!;
    const trajectory = conversation(retail, nlTask, goldCalls(nlTask), "ok");
    const disagree = nlTask.evaluation_criteria!.nl_assertions!.map((assertion) => ({ assertion, met: false }));
    expect(evaluateTau(retail, nlTask, trajectory, { termination: "user_stop", nl: disagree })).toMatchObject({
      reward: 0,
      breakdown: { DB: 1, NL_ASSERTION: 0 },
    });
    expect(evaluateTau(retail, nlTask, trajectory, { termination: "user_stop", nl: null })).toMatchObject({
      reward: 1,
      unevaluated: ["NL_ASSERTION"],
    });
  });

  it("update_task_with_user_tools cannot score 1 under tau2's rules (the data's quirk, reproduced)", () => {
    const mock = domains[0]!;
    const task = mock.tasks.find((t) => t.id === UNSATISFIABLE)!;
    const dismiss: Call = {
      name: "dismiss_notification",
      arguments: { notification_id: "notif_1" },
      requestor: "user",
    };
    const followed = evaluateTau(mock, task, conversation(mock, task, [...goldCalls(task), dismiss], "ok"), {
      termination: "user_stop",
    });
    expect(followed).toMatchObject({
      reward: 0,
      db: { agent: true, user: false },
      breakdown: { ENV_ASSERTION: 1, ACTION: 1, DB: 0 },
    });
    const goldOnly = evaluateTau(mock, task, conversation(mock, task, goldCalls(task), "ok"), {
      termination: "user_stop",
    });
    expect(goldOnly).toMatchObject({ reward: 0, breakdown: { DB: 1, ACTION: 1, ENV_ASSERTION: 0 } });
  });
});
