/**
 * The `natural-reasoning` recipe (after the Matrix paper's NaturalReasoning curation case study): web
 * passages go through filter → score → question, and the first stage a passage fails ends it as
 * filtered with that stage as the reason.
 *
 * - filter: a cheap language check in code (`language`, the project's kept language identification),
 *   then an LLM yes/no on whether the passage contains reasoning (`reasoning` + `reasoning-gate`);
 * - score: the LLM rates four criteria as JSON, and every score must reach its threshold (`score` +
 *   `score-gate`);
 * - question: the LLM writes an exam question as JSON (question, answer, independent steps, a final
 *   step with the answer in `\boxed{}`), checked for that form (`question` + `question-gate`).
 *
 * Where you are: `recipes/natural-reasoning/`. `recipe("natural-reasoning", { thresholds, languages })`
 * returns an ordinary pipeline. Per task, `state.curation` records each stage's decision; the run's
 * `summary.metrics.naturalReasoning` the survivors per stage, termination reasons and yield
 * (datasets/natural-reasoning/README.md).
 */
import { z } from "zod";
import { pipeline, type Pipeline } from "../../pipeline/pipeline.js";
import {
  BaseRecipeOptionsSchema,
  datasetPath,
  parseRecipeOptions,
  runtimeModule,
  type RecipeOptions,
} from "../recipe-options.js";
import { checkLanguage, questionGate, reasoningGate, scoreGate } from "./nr-gates.js";
import { naturalReasoningMetric } from "./nr-metrics.js";
import { questionPrompt, reasoningPrompt, scorePrompt } from "./nr-prompts.js";
import { CRITERIA, QuestionSchema, ScoreSchema } from "./nr-schemas.js";

/** The stages in order; also the filter reasons. */
export const STAGES = ["language", "reasoning", "score", "question"] as const;

const criterion = z.number().int().min(0).max(4);

export const NaturalReasoningOptionsSchema = BaseRecipeOptionsSchema.extend({
  /** Languages a passage may be in (ISO 639-1). @default ["en"] */
  languages: z.array(z.string().min(2)).min(1).default(["en"]),
  /**
   * Least confidence of the language guess (a relative share of the detector's scores, 0–1; see
   * sdk/quality/language-id.ts). @default 0: the top guess must be an allowed language.
   */
  minLanguageConfidence: z.number().min(0).max(1).default(0),
  /** Least score per criterion (0–4); every one must be reached. @default 1 each (every score > 0, as the original) */
  thresholds: z
    .strictObject({ completeness: criterion, complexity: criterion, correctness: criterion, reasoning: criterion })
    .partial()
    .default({}),
  /** Characters of the passage shown to the LLM (web pages can be long). @default 6000 */
  maxPassageChars: z.number().int().positive().default(6000),
  /** Models per LLM stage (default: `model`, else the run's). */
  filterModel: z.string().min(1).optional(),
  scoreModel: z.string().min(1).optional(),
  questionModel: z.string().min(1).optional(),
});
export type NaturalReasoningOptions = z.input<typeof NaturalReasoningOptionsSchema>;

export function naturalReasoning(input: RecipeOptions = {}): Pipeline {
  const options = parseRecipeOptions("natural-reasoning", NaturalReasoningOptionsSchema, input);
  const thresholds = { completeness: 1, complexity: 1, correctness: 1, reasoning: 1, ...options.thresholds };
  const home = options.home ?? process.cwd();
  return (
    pipeline("natural-reasoning")
      .source(datasetPath(options, "datasets/natural-reasoning/passages.jsonl.zst"), { format: "dclm" })
      .params({
        stages: [...STAGES],
        languages: options.languages,
        minLanguageConfidence: options.minLanguageConfidence,
        thresholds,
        criteria: CRITERIA,
        maxPassageChars: options.maxPassageChars,
      })
      // The project's language identification, bundled with the run (and shipped to NATS workers).
      .module("language", runtimeModule(home, "quality/language-id"))
      .code("language", checkLanguage, { description: "filter: the passage's language (code)" })
      .chat("reasoning", {
        prompt: reasoningPrompt,
        temperature: 0,
        maxTokens: 8,
        saveAs: "reasoning",
        model: options.filterModel,
        description: "filter: does the passage contain reasoning? (LLM, yes/no)",
      })
      .code("reasoning-gate", reasoningGate)
      .judge("score", {
        prompt: scorePrompt,
        schema: ScoreSchema,
        maxTokens: 128,
        model: options.scoreModel,
        description: "score: four criteria, 0-4 each (LLM, JSON)",
      })
      .code("score-gate", scoreGate)
      .judge("question", {
        prompt: questionPrompt,
        schema: QuestionSchema,
        temperature: 0.3,
        maxTokens: 1024,
        model: options.questionModel,
        description: "question: question, answer, steps, boxed final step (LLM, JSON)",
      })
      .code("question-gate", questionGate)
      .sequence("language", "reasoning", "reasoning-gate", "score", "score-gate", "question", "question-gate")
      .metric("naturalReasoning", naturalReasoningMetric)
      .options({ maxInFlight: 256, ...(options.model ? { model: options.model } : {}) })
  );
}
