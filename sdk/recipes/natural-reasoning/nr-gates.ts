/**
 * The natural-reasoning gates (code): the cheap language check, and the verdicts on the LLM stages'
 * output (the yes/no reply, the scores against their thresholds, the generated question's form). Each
 * records its decision in `state.curation.<stage>` and ends the task as filtered, with the stage as the
 * reason, when it fails: the first failing stage ends the task.
 *
 * Where you are: `recipes/natural-reasoning/`. The functions travel as source text (see nr-prompts);
 * the language check calls the `language` module (sdk/quality/language-id.ts, the project's kept
 * language identification), bundled with the run and shipped to workers like any pipeline module.
 */
import type { AgentContext } from "../../agent/agent-context.js";
import type { TaskUpdate } from "../../agent/task-update.js";
import type { Task } from "../../schema/task.js";

/** One stage's decision, as recorded in `state.curation.<stage>`. */
export interface StageDecision {
  passed: boolean;
  [detail: string]: unknown;
}

/** Stage 1 (code): the passage's detected language must be allowed, with enough confidence. */
export function checkLanguage(task: Task, ctx: AgentContext): TaskUpdate {
  const text = String((task.row as { text?: unknown }).text ?? "");
  const guess = ctx.modules.language.detectLanguage(text) as { language: string; confidence: number };
  const allowed = ctx.params.languages as string[];
  const passed = allowed.includes(guess.language) && guess.confidence >= (ctx.params.minLanguageConfidence as number);
  const decision = { passed, language: guess.language, confidence: Math.round(guess.confidence * 1000) / 1000 };
  const curation = { ...(task.state.curation as object | undefined), language: decision };
  return passed ? { state: { curation } } : { state: { curation }, end: "filtered", reason: "language" };
}

/** Stage 2 (after the LLM's yes/no): the reply must start with "Yes". */
export function reasoningGate(task: Task): TaskUpdate {
  const reply = String(task.state.reasoning ?? "").trim();
  const passed = /^yes\b/i.test(reply);
  const decision = { passed, reply: reply.slice(0, 40) };
  const curation = { ...(task.state.curation as object | undefined), reasoning: decision };
  return passed ? { state: { curation } } : { state: { curation }, end: "filtered", reason: "reasoning" };
}

/** Stage 3 (after the LLM's scores): every criterion must reach its threshold. */
export function scoreGate(task: Task, ctx: AgentContext): TaskUpdate {
  const scores = (task.state.score ?? {}) as Record<string, unknown>;
  const thresholds = ctx.params.thresholds as Record<string, number>;
  const below = Object.entries(thresholds)
    .filter(
      ([criterion, minimum]) => !(typeof scores[criterion] === "number" && (scores[criterion] as number) >= minimum),
    )
    .map(([criterion]) => criterion);
  const passed = below.length === 0;
  const curation = { ...(task.state.curation as object | undefined), score: { passed, below } };
  return passed ? { state: { curation } } : { state: { curation }, end: "filtered", reason: "score" };
}

/**
 * Stage 4 (after the LLM's question): a question, an answer, at least one step, and a final step with a
 * non-empty `\boxed{...}` (braces may nest). Records the boxed answer and whether it matches `answer`.
 */
export function questionGate(task: Task): TaskUpdate {
  const generated = (task.state.question ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  const text = (key: string) => (typeof generated[key] === "string" ? (generated[key] as string).trim() : "");
  if (text("question") === "") problems.push("no question");
  if (text("answer") === "") problems.push("no answer");
  const steps = Array.isArray(generated.steps)
    ? generated.steps.filter((step) => typeof step === "string" && step.trim())
    : [];
  if (steps.length === 0) problems.push("no steps");
  // The content of the last \boxed{...}, with nested braces balanced.
  let boxed: string | null = null;
  const final = text("final_step");
  const start = final.lastIndexOf("\\boxed{");
  if (start >= 0) {
    let depth = 0;
    for (let index = start + 6; index < final.length; index++) {
      if (final[index] === "{") depth++;
      else if (final[index] === "}" && --depth === 0) {
        boxed = final.slice(start + 7, index).trim();
        break;
      }
    }
  }
  if (boxed === null || boxed === "") problems.push("the final step has no \\boxed{...} answer");
  const passed = problems.length === 0;
  const normal = (value: string) => value.replace(/\s+/g, "").toLowerCase();
  const decision = {
    passed,
    problems,
    boxed,
    boxedMatchesAnswer: boxed !== null && normal(boxed) === normal(text("answer")),
  };
  const curation = { ...(task.state.curation as object | undefined), question: decision };
  return passed ? { state: { curation } } : { state: { curation }, end: "filtered", reason: "question" };
}
