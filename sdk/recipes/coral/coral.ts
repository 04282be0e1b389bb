/**
 * The `coral` recipe (after the Matrix paper's Coral case study): a teacher and a student take turns
 * on a multiple-choice question; after each turn an answer extractor (LLM, temperature 0, a short JSON
 * reply) pulls out the option the speaker chose, and a matcher (code) compares the speakers' latest
 * answers. The conversation stops on agreement, on an error, or after `maxTurns` speaker turns.
 *
 * Where you are: `recipes/coral/`. A recipe is an ordinary pipeline: `recipe("coral", { maxTurns: 6 })`
 * returns it to run, inspect or extend. Per task, `state.coral` holds the answers, agreement, agreement
 * correctness, turns and tokens per speaker (datasets/coral/README.md); `summary.metrics.coral` the
 * run's rates (coral-metrics.ts).
 */
import { z } from "zod";
import { pipeline, type Pipeline } from "../../pipeline/pipeline.js";
import { BaseRecipeOptionsSchema, datasetPath, parseRecipeOptions, type RecipeOptions } from "../recipe-options.js";
import { matchAnswers, stopOnAgreement } from "./coral-matcher.js";
import { coralMetric } from "./coral-metrics.js";
import { extractorPrompt, questionPrompt, speakerSystem } from "./coral-prompts.js";

export const CoralOptionsSchema = BaseRecipeOptionsSchema.extend({
  /** Speaker turns before the conversation stops without agreement. @default 10 */
  maxTurns: z.number().int().positive().max(200).default(10),
  /** Models per role (default: `model`, else the run's). */
  teacherModel: z.string().min(1).optional(),
  studentModel: z.string().min(1).optional(),
  extractorModel: z.string().min(1).optional(),
  /** Sampling temperature of the speakers. @default 0.7 */
  temperature: z.number().min(0).max(2).default(0.7),
  /** Longest speaker reply, in tokens. @default 512 */
  maxTokens: z.number().int().positive().default(512),
});
export type CoralOptions = z.input<typeof CoralOptionsSchema>;

/** The extractor's reply: one option letter (MMLU-Pro has up to ten, A–J), or "none". */
export const ExtractedAnswerSchema = z.object({
  answer: z.enum(["A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "none"]),
});

export function coral(input: RecipeOptions = {}): Pipeline {
  const options = parseRecipeOptions("coral", CoralOptionsSchema, input);
  const speakers = ["teacher", "student"];
  const speaker = (persona: string, partner: string, model: string | undefined) => ({
    system: speakerSystem(persona, partner),
    prompt: questionPrompt,
    temperature: options.temperature,
    maxTokens: options.maxTokens,
    model,
  });
  return pipeline("coral")
    .source(datasetPath(options, "datasets/coral/questions.jsonl"), { format: "mmlu-pro" })
    .params({ speakers })
    .chat("teacher", speaker("teacher", "student", options.teacherModel))
    .chat("student", speaker("student", "teacher", options.studentModel))
    .judge("extract", {
      prompt: extractorPrompt,
      schema: ExtractedAnswerSchema,
      temperature: 0,
      maxTokens: 32,
      saveAs: "extracted",
      model: options.extractorModel,
      description: "pulls the chosen option out of the latest speaker turn",
    })
    .code("match", matchAnswers, { description: "compares the speakers' latest valid answers" })
    .conversation({ roles: speakers, after: ["extract", "match"], maxTurns: options.maxTurns, stop: stopOnAgreement })
    .metric("coral", coralMetric)
    .options({ maxInFlight: 128, ...(options.model ? { model: options.model } : {}) });
}
