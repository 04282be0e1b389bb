/**
 * The coral recipe: the matcher, each stop reason (agreement, max turns, error) with a scripted LLM,
 * the run summary, options, and on the simulator: every branch offline, and a task's seed making its
 * trajectory reproducible.
 */
import { describe, expect, it } from "vitest";
import pino from "pino";
import type { AgentContext } from "../../sdk/agent/agent-context.js";
import { ConfigError, StructuredOutputError } from "../../sdk/errors.js";
import type { ChatRequest } from "../../sdk/llm/llm-client.js";
import { recipe } from "../../sdk/recipes/index.js";
import { matchAnswers, type CoralState } from "../../sdk/recipes/coral/coral-matcher.js";
import type { CoralSummary } from "../../sdk/recipes/coral/coral-metrics.js";
import type { Task } from "../../sdk/schema/task.js";
import { FakeLlm } from "../helpers/fake-llm.js";

const silent = pino({ level: "silent" });
const CHOICES = { A: "one", B: "two", C: "three", D: "four" };

function task(turns: Array<[string, string]>, extracted: string | undefined, coral?: Partial<CoralState>): Task {
  return {
    id: "t",
    runId: "r",
    rowId: "t",
    trial: 0,
    seed: 1,
    row: { id: "t", question: "Q?", choices: CHOICES, answer: "B" },
    history: turns.map(([role, content]) => ({ role, agent: "a", content, timing: { start: 0, end: 0 } })),
    state: { ...(extracted === undefined ? {} : { extracted: { answer: extracted } }), ...(coral ? { coral } : {}) },
    cursor: "match",
    status: "running",
    attempt: 0,
    hops: 0,
    usage: { teacher: { promptTokens: 10, completionTokens: 30, calls: 1 } },
    timestamps: { created: 0 },
  };
}
const ctx = { params: { speakers: ["teacher", "student"] } } as unknown as AgentContext;
const matched = (t: Task) => matchAnswers(t, ctx).state!.coral as CoralState;

describe("coral matcher", () => {
  it("records the speaker's valid answer; no agreement until both have one", () => {
    const coral = matched(task([["teacher", "… (B)."]], "B"));
    expect(coral).toMatchObject({ answers: { teacher: "B" }, agreement: false, agreedAnswer: null, turns: 1 });
    expect(coral.extractions).toEqual([{ speaker: "teacher", turn: 1, extracted: "B", valid: true }]);
    expect(coral.tokens).toEqual({ teacher: 30, student: 0 });
  });

  it("agrees when both latest valid answers match, and knows whether that is the key", () => {
    const first = matched(task([["teacher", "x"]], "B"));
    const right = matched(
      task(
        [
          ["teacher", "x"],
          ["student", "y"],
        ],
        "B",
        first,
      ),
    );
    expect(right).toMatchObject({ agreement: true, agreedAnswer: "B", agreementCorrect: true, key: "B", turns: 2 });
    const wrongFirst = matched(task([["teacher", "x"]], "C"));
    const wrong = matched(
      task(
        [
          ["teacher", "x"],
          ["student", "y"],
        ],
        "C",
        wrongFirst,
      ),
    );
    expect(wrong).toMatchObject({ agreement: true, agreedAnswer: "C", agreementCorrect: false });
  });

  it("keeps a speaker's previous answer when the new extraction is 'none' or names no option", () => {
    const start = matched(task([["teacher", "x"]], "A"));
    const student = matched(
      task(
        [
          ["teacher", "x"],
          ["student", "y"],
        ],
        "C",
        start,
      ),
    );
    const unsure = matched(
      task(
        [
          ["teacher", "x"],
          ["student", "y"],
          ["teacher", "z"],
        ],
        "none",
        student,
      ),
    );
    expect(unsure.answers).toEqual({ teacher: "A", student: "C" });
    expect(unsure.extractions.at(-1)).toEqual({ speaker: "teacher", turn: 3, extracted: "none", valid: false });
    // "J" is a valid letter in general but not one of this question's four options.
    const outside = matched(
      task(
        [
          ["teacher", "x"],
          ["student", "y"],
          ["teacher", "z"],
        ],
        "J",
        student,
      ),
    );
    expect(outside.answers.teacher).toBe("A");
    expect(outside.agreement).toBe(false);
    // An extractor reply without an answer field counts as nothing extracted.
    expect(matched(task([["teacher", "x"]], undefined)).extractions[0]).toMatchObject({
      extracted: null,
      valid: false,
    });
  });
});

/** Scripted speakers: `scripts[rowId][speaker]` lists the letter said at each of that speaker's turns. */
function scriptedLlm(scripts: Record<string, Record<string, string[]>>, failExtractionOf: string[] = []) {
  const extractions: Record<string, number> = {};
  return new FakeLlm((request: ChatRequest) => {
    const rowId = request.stickyKey!;
    if (request.role === "extract") {
      extractions[rowId] = (extractions[rowId] ?? 0) + 1;
      if (failExtractionOf.includes(rowId) && extractions[rowId] === 2)
        throw new StructuredOutputError("the reply is not valid JSON", { issues: "not JSON", text: "oops" });
      const user = request.messages.at(-1)!.content as string;
      const letter = /correct answer is \(([A-J])\)/.exec(user)?.[1] ?? "none";
      return { content: JSON.stringify({ answer: letter }), data: { answer: letter } };
    }
    const spoken = request.messages.filter((message) => message.role === "assistant").length;
    const letter = scripts[rowId]![request.role!]![spoken];
    return {
      content: letter ? `Because of X. The correct answer is (${letter}).` : "I am not sure yet.",
      usage: { promptTokens: 50, completionTokens: 20 + spoken },
    };
  });
}

describe("coral recipe (scripted LLM)", () => {
  const rows = [
    { id: "agree", question: "Q1", choices: CHOICES, answer: "A" },
    { id: "disagree", question: "Q2", choices: CHOICES, answer: "A" },
    { id: "later", question: "Q3", choices: CHOICES, answer: "C" },
    { id: "error", question: "Q4", choices: CHOICES, answer: "A" },
    { id: "unsure", question: "Q5", choices: CHOICES, answer: "B" },
  ];
  const scripts = {
    agree: { teacher: ["A"], student: ["A"] },
    disagree: { teacher: ["A", "A", "A"], student: ["B", "B", "B"] },
    later: { teacher: ["A", "B"], student: ["B"] },
    error: { teacher: ["A", "A"], student: ["B", "B"] },
    unsure: { teacher: ["", "A"], student: ["A"] },
  };

  it("stops on agreement, after max turns, and on an error; per-task records and the run summary say so", async () => {
    const llm = scriptedLlm(scripts, ["error"]);
    const run = recipe("coral", { maxTurns: 4 })!.run({ source: rows, llm, logger: silent });
    const summary = await run.done();
    const byId = Object.fromEntries(run.results().map((t) => [t.id, t]));
    expect(summary.counts).toEqual({ done: 4, failed: 1, filtered: 0 });

    const coral = (id: string) => byId[id]!.state.coral as CoralState;
    expect(byId.agree!.reason).toBe("agreement");
    expect(coral("agree")).toMatchObject({ agreement: true, agreedAnswer: "A", agreementCorrect: true, turns: 2 });
    expect(byId.disagree!.reason).toBe("max-turns");
    expect(coral("disagree")).toMatchObject({ agreement: false, answers: { teacher: "A", student: "B" }, turns: 4 });
    expect(byId.later!.reason).toBe("agreement");
    expect(coral("later")).toMatchObject({ agreedAnswer: "B", agreementCorrect: false, turns: 3 });
    expect(coral("unsure").extractions.map((e) => e.valid)).toEqual([false, true, true]);
    expect(byId.error!.status).toBe("failed");
    expect(byId.error!.reason).toBe("error");
    expect(byId.error!.error).toMatchObject({ name: "StructuredOutputError", role: "extract" });
    // Tokens per speaker: the scripted completion tokens (20, 21, ...) summed per speaker.
    expect(coral("disagree").tokens).toEqual({ teacher: 20 + 21, student: 20 + 21 });
    // The speakers alternate, teacher first; the extractor and matcher add no turns.
    expect(byId.later!.history.map((turn) => turn.role)).toEqual(["teacher", "student", "teacher"]);

    const metrics = summary.metrics!.coral as CoralSummary;
    expect(metrics).toMatchObject({
      tasks: 5,
      conversations: 4,
      agreementRate: 0.75,
      agreementCorrectness: 0.25,
      correctWhenAgreed: 0.3333,
      meanTurns: 3,
      errorRate: 0.2,
      stopReasons: { agreement: 3, "max-turns": 1, error: 1 },
    });
    expect(metrics.meanTokens).toEqual({ teacher: (20 + 41 + 41 + 41) / 4, student: (20 + 41 + 20 + 20) / 4 });
    // The extractor runs at temperature 0 with a short limit and a JSON schema.
    const extract = llm.requests.find((request) => request.role === "extract")!;
    expect(extract).toMatchObject({ temperature: 0, maxTokens: 32 });
    expect(extract.responseSchema!.schema).toMatchObject({
      properties: { answer: { enum: expect.arrayContaining(["A", "none"]) } },
    });
  });

  it("takes options (max turns, models) and refuses unknown ones", () => {
    const p = recipe("coral", { maxTurns: 3, model: "big", extractorModel: "small" })!;
    expect(p.definition.flow).toMatchObject({ kind: "conversation", maxTurns: 3 });
    expect(p.definition.options.model).toBe("big");
    expect(p.definition.roles.extract).toMatchObject({ model: "small" });
    expect(p.definition.source).toMatchObject({ kind: "jsonl", format: "mmlu-pro" });
    expect(recipe("coral", { dataset: "x.parquet" })!.definition.source).toEqual({
      kind: "parquet",
      path: "x.parquet",
      format: "mmlu-pro",
    });
    expect(() => recipe("coral", { maxTurn: 3 })).toThrow(ConfigError);
    expect(() => recipe("coral", { maxTurn: 3 })).toThrow(/unknown option 'maxTurn'/);
    expect(() => recipe("coral", { maxTurns: 0 })).toThrow(/recipe\('coral'\)\.maxTurns/);
  });
});

describe("coral recipe on the simulator", () => {
  const trajectory = (t: Task) => ({
    history: t.history.map((turn) => [turn.role, turn.content]),
    coral: t.state.coral,
    reason: t.reason,
  });

  it("exercises agreement, disagreement (max turns) and errors offline", async () => {
    const summary = await recipe("coral", { maxTurns: 3 })!
      .run({ rows: 30, simulator: { speed: 1000, faults: { malformedJson: 0.3 } }, logger: silent })
      .done();
    const stops = (summary.metrics!.coral as CoralSummary).stopReasons;
    expect(stops.agreement).toBeGreaterThan(0);
    expect(stops["max-turns"]).toBeGreaterThan(0);
    expect(stops.error).toBeGreaterThan(0);
    expect(summary.counts.failed).toBe(stops.error);
  });

  it("a task's seed makes its trajectory reproducible; another seed gives another", async () => {
    const once = async (seed: number) => {
      const run = recipe("coral", { maxTurns: 4 })!.run({ rows: 12, seed, simulator: { speed: 1000 }, logger: silent });
      await run.done();
      return Object.fromEntries(run.results().map((t) => [t.id, { seed: t.seed, ...trajectory(t) }]));
    };
    const [first, second, other] = [await once(7), await once(7), await once(8)];
    expect(Object.keys(first)).toHaveLength(12);
    expect(second).toEqual(first);
    const changed = Object.keys(first).filter((id) => JSON.stringify(other[id]) !== JSON.stringify(first[id]));
    expect(changed.length).toBeGreaterThan(6);
  });
});
