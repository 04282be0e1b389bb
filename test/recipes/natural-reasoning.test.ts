/**
 * The natural-reasoning recipe: every filter decision (language, reasoning, score thresholds, the
 * question's form), JSON validation of the score and question stages through the real LLM pool, each
 * termination reason in one run with its summary, options, and on the simulator: every branch offline
 * from the shipped .zst, reproducibly.
 */
import { describe, expect, it } from "vitest";
import pino from "pino";
import type { AgentContext } from "../../sdk/agent/agent-context.js";
import { ConfigError, StructuredOutputError } from "../../sdk/errors.js";
import type { ChatRequest } from "../../sdk/llm/llm-client.js";
import { detectLanguage } from "../../sdk/quality/language-id.js";
import { recipe } from "../../sdk/recipes/index.js";
import { checkLanguage, questionGate, reasoningGate, scoreGate } from "../../sdk/recipes/natural-reasoning/nr-gates.js";
import type { NaturalReasoningSummary } from "../../sdk/recipes/natural-reasoning/nr-metrics.js";
import type { Task } from "../../sdk/schema/task.js";
import { FakeLlm } from "../helpers/fake-llm.js";
import { startFakeServer } from "../llm/fake-openai-server.js";

const silent = pino({ level: "silent" });
const ENGLISH =
  "A coat costs $120 and is reduced by 25%, then a coupon takes another 10% off the reduced price. After the first " +
  "discount it costs $90, and the coupon removes $9, so the final price is $81, which is 32.5% off in total.";
const GERMAN =
  "Eine Jacke kostet 120 Euro und wird um 25 Prozent reduziert. Danach zieht ein Gutschein weitere zehn Prozent vom " +
  "reduzierten Preis ab, also zahlt man am Ende 81 Euro.";

function task(state: Record<string, unknown> = {}, text = ENGLISH): Task {
  return {
    id: "p",
    runId: "r",
    rowId: "p",
    trial: 0,
    seed: 1,
    row: { id: "p", text },
    history: [],
    state,
    cursor: "x",
    status: "running",
    attempt: 0,
    hops: 0,
    usage: {},
    timestamps: { created: 0 },
  };
}
const context = (params: Record<string, unknown> = {}) =>
  ({
    params: {
      languages: ["en"],
      minLanguageConfidence: 0,
      thresholds: { completeness: 1, complexity: 1, correctness: 1, reasoning: 1 },
      ...params,
    },
    modules: { language: { detectLanguage } },
  }) as unknown as AgentContext;

describe("natural-reasoning filter decisions", () => {
  it("language: keeps an allowed language, filters others, respects the confidence floor", () => {
    const english = checkLanguage(task(), context());
    expect(english.end).toBeUndefined();
    expect(english.state!.curation).toMatchObject({ language: { passed: true, language: "en" } });
    const german = checkLanguage(task({}, GERMAN), context());
    expect(german).toMatchObject({
      end: "filtered",
      reason: "language",
      state: { curation: { language: { passed: false, language: "de" } } },
    });
    expect(checkLanguage(task({}, GERMAN), context({ languages: ["en", "de"] })).end).toBeUndefined();
    expect(checkLanguage(task(), context({ minLanguageConfidence: 1.01 })).reason).toBe("language");
    expect(checkLanguage(task({}, "1234 5678 !!"), context()).state!.curation).toMatchObject({
      language: { passed: false, language: "und" },
    });
  });

  it("reasoning: passes a reply that starts with yes, filters anything else", () => {
    for (const reply of ["Yes", "yes.", " Yes, it reasons step by step"])
      expect(reasoningGate(task({ reasoning: reply })).end).toBeUndefined();
    for (const reply of ["No", "no, it is a listing", "", "Maybe yes", "Yesterday"]) {
      expect(reasoningGate(task({ reasoning: reply }))).toMatchObject({ end: "filtered", reason: "reasoning" });
    }
    // Earlier stages' decisions are kept.
    const kept = reasoningGate(task({ reasoning: "Yes", curation: { language: { passed: true } } })).state!.curation;
    expect(kept).toEqual({ language: { passed: true }, reasoning: { passed: true, reply: "Yes" } });
  });

  it("score: every criterion must reach its threshold; the ones below are named", () => {
    const scores = { completeness: 3, complexity: 1, correctness: 4, reasoning: 2 };
    expect(scoreGate(task({ score: scores }), context()).end).toBeUndefined();
    const strict = scoreGate(
      task({ score: scores }),
      context({ thresholds: { completeness: 1, complexity: 2, correctness: 1, reasoning: 3 } }),
    );
    expect(strict).toMatchObject({
      end: "filtered",
      reason: "score",
      state: { curation: { score: { passed: false, below: ["complexity", "reasoning"] } } },
    });
    const zero = scoreGate(task({ score: { ...scores, correctness: 0 } }), context());
    expect(zero.state!.curation).toMatchObject({ score: { below: ["correctness"] } });
    expect(scoreGate(task({ score: { completeness: 3 } }), context()).state!.curation).toMatchObject({
      score: { below: ["complexity", "correctness", "reasoning"] },
    });
  });

  it("question: needs a question, an answer, steps and a final step with a non-empty \\boxed{}", () => {
    const good = { question: "Q?", answer: "1/2", steps: ["halve it"], final_step: "So it is \\boxed{\\frac{1}{2}}." };
    const passed = questionGate(task({ question: good }));
    expect(passed.end).toBeUndefined();
    expect(passed.state!.curation).toMatchObject({
      question: { passed: true, boxed: "\\frac{1}{2}", boxedMatchesAnswer: false },
    });
    expect(
      questionGate(task({ question: { ...good, final_step: "So \\boxed{ 1/2 }" } })).state!.curation,
    ).toMatchObject({
      question: { boxed: "1/2", boxedMatchesAnswer: true },
    });
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...good, final_step: "So it is one half." }, "the final step has no \\boxed{...} answer"],
      [{ ...good, final_step: "So \\boxed{}" }, "the final step has no \\boxed{...} answer"],
      [{ ...good, final_step: "So \\boxed{1/2" }, "the final step has no \\boxed{...} answer"],
      [{ ...good, steps: [] }, "no steps"],
      [{ ...good, steps: ["  "] }, "no steps"],
      [{ ...good, question: " " }, "no question"],
      [{ ...good, answer: "" }, "no answer"],
    ];
    for (const [question, problem] of cases) {
      const result = questionGate(task({ question }));
      expect(result).toMatchObject({ end: "filtered", reason: "question" });
      expect((result.state!.curation as { question: { problems: string[] } }).question.problems).toContain(problem);
    }
  });
});

/** A scripted LLM: the reply of each stage for each passage id. */
function scripted(replies: Record<string, Partial<Record<"reasoning" | "score" | "question", unknown>>>) {
  return new FakeLlm((request: ChatRequest) => {
    const reply = replies[request.stickyKey!]![request.role as "reasoning"];
    if (reply instanceof Error) throw reply;
    if (typeof reply === "string") return { content: reply };
    return { content: JSON.stringify(reply), data: reply };
  });
}

const GOOD_SCORES = { completeness: 3, complexity: 2, correctness: 4, reasoning: 3 };
const GOOD_QUESTION = {
  question: "What is the final price?",
  answer: "$81",
  steps: ["90", "81"],
  final_step: "\\boxed{$81}",
};

describe("natural-reasoning recipe (scripted LLM)", () => {
  it("the first failing stage ends the task, with that stage as the reason; the summary counts survivors", async () => {
    const rows = [
      { id: "german", text: GERMAN },
      { id: "no-reasoning", text: ENGLISH },
      { id: "low-score", text: ENGLISH },
      { id: "no-box", text: ENGLISH },
      { id: "kept", text: ENGLISH },
      { id: "kept-too", text: ENGLISH },
      { id: "broken", text: ENGLISH },
    ];
    const llm = scripted({
      german: {},
      "no-reasoning": { reasoning: "No" },
      "low-score": { reasoning: "Yes", score: { ...GOOD_SCORES, complexity: 0 } },
      "no-box": { reasoning: "Yes", score: GOOD_SCORES, question: { ...GOOD_QUESTION, final_step: "It is $81." } },
      kept: { reasoning: "Yes", score: GOOD_SCORES, question: GOOD_QUESTION },
      "kept-too": { reasoning: "Yes.", score: GOOD_SCORES, question: GOOD_QUESTION },
      broken: {
        reasoning: "Yes",
        score: new StructuredOutputError("still not the schema", {
          issues: "$.complexity: expected integer",
          text: "{}",
        }),
      },
    });
    const run = recipe("natural-reasoning")!.run({ source: rows, llm, logger: silent });
    const summary = await run.done();
    const byId = Object.fromEntries(run.results().map((t) => [t.id, t]));
    expect(Object.fromEntries(Object.entries(byId).map(([id, t]) => [id, [t.status, t.reason]]))).toEqual({
      german: ["filtered", "language"],
      "no-reasoning": ["filtered", "reasoning"],
      "low-score": ["filtered", "score"],
      "no-box": ["filtered", "question"],
      kept: ["done", "completed"],
      "kept-too": ["done", "completed"],
      broken: ["failed", "error"],
    });
    // The German passage never reached an LLM; each stage's LLM ran only for survivors of the one before.
    const calls = (role: string) =>
      llm.requests
        .filter((r) => r.role === role)
        .map((r) => r.stickyKey)
        .sort();
    expect(calls("reasoning")).not.toContain("german");
    expect(calls("question")).toEqual(["kept", "kept-too", "no-box"]);
    expect(byId.kept!.state.question).toEqual(GOOD_QUESTION);
    expect(byId.broken!.error).toMatchObject({ name: "StructuredOutputError", role: "score" });
    // The stages' requests: a short yes/no at temperature 0, then schema-checked JSON.
    const yesNo = llm.requests.find((r) => r.role === "reasoning")!;
    expect(yesNo).toMatchObject({ temperature: 0, maxTokens: 8 });
    expect(yesNo.messages.at(-1)!.content).toMatch(/Answer Yes or No\.$/);
    expect(llm.requests.find((r) => r.role === "question")!.responseSchema!.schema).toMatchObject({
      required: ["question", "answer", "steps", "final_step"],
    });

    expect(summary.metrics!.naturalReasoning as NaturalReasoningSummary).toEqual({
      input: 7,
      survivors: { language: 6, reasoning: 5, score: 3, question: 2 },
      terminationReasons: { language: 1, reasoning: 1, score: 1, question: 1, completed: 2, error: 1 },
      yield: 0.2857,
    });
  });

  it("takes thresholds, languages and models as options, and refuses unknown criteria", () => {
    const p = recipe("natural-reasoning", {
      thresholds: { reasoning: 3 },
      languages: ["en", "fr"],
      scoreModel: "judge-7b",
    })!;
    expect(p.definition.params.thresholds).toEqual({ completeness: 1, complexity: 1, correctness: 1, reasoning: 3 });
    expect(p.definition.params.languages).toEqual(["en", "fr"]);
    expect(p.definition.roles.score).toMatchObject({ model: "judge-7b" });
    expect(p.definition.source).toMatchObject({ kind: "jsonl", format: "dclm" });
    expect(() => recipe("natural-reasoning", { thresholds: { depth: 2 } })).toThrow(ConfigError);
    expect(() => recipe("natural-reasoning", { thresholds: { depth: 2 } })).toThrow(/thresholds/);
    expect(() => recipe("natural-reasoning", { thresholds: { reasoning: 5 } })).toThrow(
      /recipe\('natural-reasoning'\)\.thresholds\.reasoning/,
    );
  });
});

describe("natural-reasoning JSON validation through the LLM pool", () => {
  it("a score or question reply off its schema gets one repair; still off, the task is dead-lettered naming the stage", async () => {
    let scoreRequests = 0;
    const server = await startFakeServer((request) => {
      const messages = (request.body.messages ?? []) as Array<{ content: string }>;
      const prompt = messages.map((message) => message.content).join("\n");
      const repair = /does not match the required JSON schema/.test(prompt);
      if (/Answer Yes or No/.test(prompt) && !/Rate the passage|exam question/.test(prompt)) return { content: "Yes" };
      if (/Rate the passage/.test(prompt)) {
        scoreRequests++;
        // Passage "fixed" is repaired on the second try; "hopeless" never matches (a score of 9).
        if (prompt.includes("FIXED") && repair) return { content: JSON.stringify(GOOD_SCORES) };
        return { content: JSON.stringify({ ...GOOD_SCORES, complexity: 9 }) };
      }
      if (/exam question/.test(prompt)) {
        // The question stage drops final_step: off its schema, even after the repair.
        return { content: JSON.stringify({ question: "Q?", answer: "1", steps: ["a"] }) };
      }
      return { content: "ok" };
    });
    try {
      const rows = [
        { id: "fixed", text: `${ENGLISH} FIXED` },
        { id: "hopeless", text: `${ENGLISH} HOPELESS` },
      ];
      const run = recipe("natural-reasoning")!.run({
        source: rows,
        llm: server.baseUrl,
        model: "fake",
        logger: silent,
      });
      const summary = await run.done();
      const byId = Object.fromEntries(run.results().map((t) => [t.id, t]));
      expect(byId.hopeless!.status).toBe("failed");
      expect(byId.hopeless!.error).toMatchObject({ name: "StructuredOutputError", role: "score" });
      expect(byId.hopeless!.error!.details?.issues).toMatch(/complexity/);
      expect(byId.fixed!.state.score).toEqual(GOOD_SCORES);
      expect(byId.fixed!.status).toBe("failed");
      expect(byId.fixed!.error).toMatchObject({ name: "StructuredOutputError", role: "question" });
      expect(byId.fixed!.error!.details?.issues).toMatch(/final_step/);
      expect(scoreRequests).toBe(4);
      expect(summary.metrics!.naturalReasoning).toMatchObject({
        survivors: { language: 2, reasoning: 2, score: 1, question: 0 },
        terminationReasons: { error: 2 },
      });
    } finally {
      await server.close();
    }
  });
});

describe("natural-reasoning recipe on the simulator", () => {
  it("runs the shipped .zst offline with every stage both passing and failing, reproducibly per seed", async () => {
    const once = async (seed: number) => {
      const run = recipe("natural-reasoning")!.run({ rows: 80, seed, simulator: { speed: 1000 }, logger: silent });
      const summary = await run.done();
      const trajectories = Object.fromEntries(run.results().map((t) => [t.id, { reason: t.reason, state: t.state }]));
      return { summary, trajectories };
    };
    const first = await once(3);
    const metrics = first.summary.metrics!.naturalReasoning as NaturalReasoningSummary;
    expect(first.summary.badRows).toBe(0);
    expect(metrics.input).toBe(80);
    for (const reason of ["language", "reasoning", "score", "question", "completed"]) {
      expect(metrics.terminationReasons[reason], reason).toBeGreaterThan(0);
    }
    expect(metrics.survivors.language).toBeLessThan(80);
    expect(metrics.yield).toBeGreaterThan(0);
    expect((await once(3)).trajectories).toEqual(first.trajectories);
    const other = await once(4);
    expect(other.trajectories).not.toEqual(first.trajectories);
  });
});
