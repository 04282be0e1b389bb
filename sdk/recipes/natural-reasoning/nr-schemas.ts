/**
 * The JSON the natural-reasoning LLM stages must return: `score` (one integer per criterion) and
 * `question` (an exam question, its answer, independent reasoning steps and a final step with the
 * answer in `\boxed{}`). The LLM pool checks every reply against these (one repair attempt); the
 * gates then judge the values (nr-gates.ts).
 *
 * Where you are: `recipes/natural-reasoning/`.
 */
import { z } from "zod";

/** The score criteria (after the NaturalReasoning paper's annotation), each 0 (absent) to 4 (excellent). */
export const CRITERIA = {
  completeness: "the passage states a problem or claim completely enough to reason about",
  complexity: "the reasoning needs several non-trivial steps or technical depth",
  correctness: "the facts and calculations in the passage are correct",
  reasoning: "the passage shows its thinking: steps, causes, or an argument, not just conclusions",
} as const;
export type Criterion = keyof typeof CRITERIA;

const score = (description: string) => z.number().int().min(0).max(4).describe(description);

export const ScoreSchema = z.object({
  completeness: score(CRITERIA.completeness),
  complexity: score(CRITERIA.complexity),
  correctness: score(CRITERIA.correctness),
  reasoning: score(CRITERIA.reasoning),
});
export type Scores = z.infer<typeof ScoreSchema>;

export const QuestionSchema = z.object({
  question: z.string().min(1).describe("a self-contained exam question that needs the passage's reasoning"),
  answer: z.string().min(1).describe("the short final answer"),
  steps: z
    .array(z.string().min(1))
    .min(1)
    .max(12)
    .describe("independent reasoning steps that lead to the answer, each understandable on its own"),
  final_step: z
    .string()
    .min(1)
    .describe("the last step, which states the answer in \\boxed{...}")
    .meta({
      examples: ["Therefore the combined discount is \\boxed{28\\%}.", "So the average speed is \\boxed{48 km/h}."],
    }),
});
export type GeneratedQuestion = z.infer<typeof QuestionSchema>;
