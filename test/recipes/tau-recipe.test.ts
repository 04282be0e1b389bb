/**
 * The tau recipe end to end on the local bus: 50 retail tasks on the simulator (every ending scored by
 * the reward agent, the summary in summary.json), each stop reason forced with a scripted model,
 * reproducible trajectories per seed, and `matrix run tau` from the command line.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../sdk/errors.js";
import type { ChatRequest, ChatResult } from "../../sdk/llm/llm-client.js";
import { tau } from "../../sdk/recipes/tau/tau.js";
import type { TauState } from "../../sdk/recipes/tau/tau-module.js";
import { tauSummary } from "../../sdk/recipes/tau/tau-summary.js";
import { TaskSchema, type Task } from "../../sdk/schema/task.js";
import { FakeLlm } from "../helpers/fake-llm.js";
import { readJsonl } from "../helpers/jsonl.js";
import { tempDir } from "../helpers/temp-dir.js";

const run = promisify(execFile);
const tauOf = (task: Task) => task.state.tau as TauState;
const TERMINATIONS = ["user_stop", "agent_stop", "max_steps", "too_many_errors"];

describe("the tau recipe on the simulator", () => {
  it("runs 50 retail tasks: every ending scored by the reward agent, the summary in summary.json", async () => {
    const out = tempDir();
    const summary = await tau({ domain: "retail" })
      .run({ rows: 50, out, simulator: { speed: 100 } })
      .done();
    expect(summary.counts).toEqual({ done: 50, failed: 0, filtered: 0 });
    const records = readJsonl<Task>(join(out, "output.jsonl"));
    expect(records).toHaveLength(50);
    let toolResults = 0;
    for (const record of records) {
      expect(TaskSchema.safeParse(record).success).toBe(true);
      const state = tauOf(record);
      expect(TERMINATIONS).toContain(state.termination);
      expect(record.reason).toBe(state.termination);
      expect([0, 1]).toContain(state.reward);
      expect(["DB,NL_ASSERTION", "DB"]).toContain(state.info!.basis.join());
      // The last turn of the conversation is the one that ended it; the greeting opened it.
      expect(record.history[0]).toMatchObject({ role: "agent", content: "Hi! How can I help you today?" });
      toolResults += record.history.filter((turn) => turn.toolCallId !== undefined).length;
    }
    // The simulated agent used the tools; some calls succeeded because their arguments came from the conversation.
    expect(toolResults).toBeGreaterThan(10);
    expect(
      records.some((record) =>
        record.history.some((turn) => turn.toolOk === true && turn.toolName !== "list_all_product_types"),
      ),
    ).toBe(true);
    const written = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(written.metrics.tau).toEqual(tauSummary(records));
    expect(written.metrics.tau).toMatchObject({ tasks: 50, failed: 0 });
    expect(Object.values(written.metrics.tau.termination as Record<string, number>).reduce((a, b) => a + b)).toBe(50);
  }, 120_000);

  it("gives the same trajectories for the same seed", async () => {
    const histories = async () => {
      const handle = tau({ domain: "mock" }).run({ seed: 7, simulator: { speed: 200 } });
      await handle.done();
      return Object.fromEntries(
        handle
          .results()
          .map((task) => [task.id, task.history.map((turn) => [turn.role, turn.content, turn.toolCalls ?? null])]),
      );
    };
    const [first, second] = [await histories(), await histories()];
    expect(Object.keys(first)).toHaveLength(10);
    expect(second).toEqual(first);
  }, 60_000);

  it("refuses an unknown option or domain, naming it", () => {
    expect(() => tau({ domian: "mock" } as never)).toThrow(/unknown option 'domian'/);
    expect(() => tau({ domain: "airline" })).toThrow(ConfigError);
  });
});

/** A scripted model: `reply(role, request)` decides each answer. */
function scripted(reply: (role: string, request: ChatRequest) => Partial<ChatResult>): FakeLlm {
  return new FakeLlm((request) => reply(request.role ?? "", request));
}

const call = (id: string, name: string, args: unknown) => ({
  id,
  type: "function" as const,
  function: { name, arguments: JSON.stringify(args) },
});

async function runMock(llm: FakeLlm, options: Parameters<typeof tau>[0] = {}): Promise<Task> {
  const handle = tau({ domain: "mock", nlJudge: false, ...options }).run({
    source: [JSON.parse(readFileSync("datasets/tau2/mock/tasks.json", "utf8"))[0]],
    llm,
  });
  const summary = await handle.done();
  expect(summary.counts.done).toBe(1);
  return handle.results()[0]!;
}

describe("how a tau conversation ends", () => {
  it("user_stop: the simulated user sends a stop token, after the agent did the job", async () => {
    const llm = scripted((role, request) => {
      if (role === "user")
        return {
          content: request.messages.length > 3 ? "Thanks! ###STOP###" : "Create 'Important Meeting' for user_1.",
        };
      const done = request.messages.some((message) => message.role === "tool");
      return done
        ? { content: "Created task_2 for you." }
        : { content: null, toolCalls: [call("c1", "create_task", { user_id: "user_1", title: "Important Meeting" })] };
    });
    const task = await runMock(llm);
    expect(tauOf(task)).toMatchObject({ termination: "user_stop", reward: 1 });
    expect(task.state._env).toEqual({
      calls: [
        { name: "create_task", arguments: { user_id: "user_1", title: "Important Meeting" }, requestor: "assistant" },
      ],
    });
    expect(task.history.map((turn) => turn.role)).toEqual(["agent", "user", "agent", "agent", "agent", "user"]);
  });

  it("agent_stop: the agent ends the conversation itself", async () => {
    const llm = scripted((role) => ({ content: role === "user" ? "Hello there." : "I cannot help. ###STOP###" }));
    const task = await runMock(llm);
    expect(tauOf(task)).toMatchObject({ termination: "agent_stop", reward: 0, steps: 2 });
  });

  it("max_steps: nobody stops, the conversation ends at maxSteps messages, even inside a tool loop", async () => {
    const llm = scripted((role, request) =>
      role === "user"
        ? { content: "Keep going." }
        : { content: null, toolCalls: [call(`c${request.messages.length}`, "get_users", {})] },
    );
    const task = await runMock(llm, { maxSteps: 7 });
    expect(tauOf(task)).toMatchObject({ termination: "max_steps", reward: 0, steps: 7 });
    // One user message, then the agent's tool loop was cut: 3 rounds of a call and its results.
    expect(task.history.filter((turn) => turn.toolOk === true)).toHaveLength(3);
  });

  it("too_many_errors: failing tool calls end the conversation", async () => {
    const llm = scripted((role, request) =>
      role === "user"
        ? { content: "Do it." }
        : {
            content: null,
            toolCalls: [
              call(`c${request.messages.length}`, "update_task_status", { task_id: "task_9", status: "completed" }),
            ],
          },
    );
    const task = await runMock(llm, { maxErrors: 3 });
    expect(tauOf(task)).toMatchObject({ termination: "too_many_errors", reward: 0, errors: 3 });
    expect(task.history.filter((turn) => turn.toolOk === false).map((turn) => turn.content)).toEqual(
      Array(3).fill("Error: Task task_9 not found"),
    );
  });
});

describe("matrix run tau", () => {
  it("runs from the command line with a domain option and writes the tau summary", async () => {
    const out = tempDir();
    const { stdout } = await run(
      process.execPath,
      ["bin/matrix.js", "run", "tau", "--option", "domain=mock", "--option", "maxSteps=40", "--out", out, "--quiet"],
      { cwd: process.cwd(), timeout: 90_000 },
    );
    const summary = JSON.parse(stdout);
    expect(summary.counts.done).toBe(10);
    expect(summary.pipeline).toBe("tau-mock");
    expect(Object.keys(summary.metrics.tau).sort()).toEqual(
      [
        "components",
        "failed",
        "meanReward",
        "meanSteps",
        "passRate",
        "tasks",
        "termination",
        "toolCalls",
        "toolErrors",
      ].sort(),
    );
    expect(readJsonl<Task>(join(out, "output.jsonl")).every((task) => tauOf(task).termination !== undefined)).toBe(
      true,
    );
  }, 120_000);
});
