/**
 * The `quickstart` recipe (what `npm start` runs): a teacher and a student discuss a multiple-choice
 * question until they agree on an answer or run out of turns; a code role extracts each stated
 * answer, and a grader compares the agreed answer with the key. A small Coral (see the Matrix paper).
 *
 * Where you are: `recipes/`, named pipelines shipped with the SDK. A recipe is an ordinary pipeline:
 * copy it into a notebook and change it.
 */
import { join } from "node:path";
import { pipeline, type Pipeline } from "../pipeline/pipeline.js";
import type { Task } from "../schema/task.js";

/** The question with its lettered options; shared by both speakers (it opens their conversation). */
function questionPrompt(task: Task): string {
  const row = task.row as { question: string; options: Record<string, string> };
  const options = Object.entries(row.options)
    .map(([letter, text]) => `(${letter}) ${text}`)
    .join("\n");
  return `${row.question}\n${options}\n\nDiscuss with your partner, then end with "The correct answer is (X)".`;
}

const SPEAKER =
  "You are {{params.persona}} working through a multiple-choice question with a partner. Point out " +
  "mistakes, hold positions you are sure of, and always end with 'The correct answer is (X)'.";

export function quickstart(options: { home?: string } = {}): Pipeline {
  return pipeline("quickstart")
    .source(join(options.home ?? process.cwd(), "datasets/quickstart/questions.jsonl"))
    .params({ persona: "a careful tutor" })
    .chat("teacher", { system: SPEAKER, prompt: questionPrompt, maxTokens: 256, temperature: 0.7 })
    .chat("student", { system: SPEAKER, prompt: questionPrompt, maxTokens: 256, temperature: 0.7 })
    .code("extract", (task) => {
      const last = task.history[task.history.length - 1];
      const match = /correct answer is \(?([A-D])\)?/i.exec(last?.content ?? "");
      const answers = { ...(task.state.answers as Record<string, string> | undefined) };
      if (last && match) answers[last.role] = match[1]!.toUpperCase();
      return { state: { answers } };
    })
    .code("grade", (task) => {
      const answers = (task.state.answers ?? {}) as Record<string, string>;
      const agreed = answers.teacher !== undefined && answers.teacher === answers.student ? answers.teacher : null;
      const key = (task.row as { answer: string }).answer;
      return { state: { agreed, correct: agreed === key } };
    })
    .conversation({
      roles: ["teacher", "student"],
      after: ["extract"],
      then: ["grade"],
      maxTurns: 6,
      stop: (task) => {
        const answers = (task.state.answers ?? {}) as Record<string, string>;
        return answers.teacher !== undefined && answers.teacher === answers.student ? "agreement" : false;
      },
    })
    .options({ maxInFlight: 64 });
}
