/**
 * Coral's answer matcher (code, no LLM) and its stop condition: after each speaker turn and its
 * extraction, keep each speaker's latest valid answer, and say whether the speakers agree and
 * whether the agreed answer is the key.
 *
 * Where you are: `recipes/coral/`. These functions travel as source text inside the pipeline
 * definition (to NATS workers too), so they use nothing outside themselves: the speakers' role names
 * come from `ctx.params.speakers`, the key and the options from the task's row.
 */
import type { AgentContext } from "../../agent/agent-context.js";
import type { TaskUpdate } from "../../agent/task-update.js";
import type { Task } from "../../schema/task.js";

/** One speaker turn as the extractor read it. */
export interface CoralExtraction {
  speaker: string;
  /** Speaker turns so far, this one included. */
  turn: number;
  /** What the extractor said: an option letter, "none", or null when it gave nothing usable. */
  extracted: string | null;
  /** Whether `extracted` names an option of this question. */
  valid: boolean;
}

/** `task.state.coral`: the per-task record of a Coral conversation. */
export interface CoralState {
  /** Each speaker's latest valid answer (a speaker without one is absent). */
  answers: Record<string, string>;
  /** Every speaker has a valid answer and they are all the same. */
  agreement: boolean;
  /** The agreed option, or null. */
  agreedAnswer: string | null;
  /** They agreed, on the key. */
  agreementCorrect: boolean;
  /** The question's key (from the row). */
  key: string;
  /** Speaker turns so far. */
  turns: number;
  /** Completion tokens per speaker so far. */
  tokens: Record<string, number>;
  extractions: CoralExtraction[];
}

/** The matcher role: folds the latest extraction into `state.coral`. */
export function matchAnswers(task: Task, ctx: AgentContext): TaskUpdate {
  const speakers = ctx.params.speakers as string[];
  const row = task.row as { choices: Record<string, string>; answer: string };
  const speakerTurns = task.history.filter((turn) => speakers.includes(turn.role));
  const last = speakerTurns[speakerTurns.length - 1];
  const previous = task.state.coral as CoralState | undefined;
  const answers: Record<string, string> = { ...previous?.answers };
  const extractions: CoralExtraction[] = [...(previous?.extractions ?? [])];
  if (last) {
    const said = (task.state.extracted as { answer?: unknown } | undefined)?.answer;
    const extracted = typeof said === "string" ? said : null;
    const valid = extracted !== null && Object.prototype.hasOwnProperty.call(row.choices, extracted);
    if (valid) answers[last.role] = extracted!;
    extractions.push({ speaker: last.role, turn: speakerTurns.length, extracted, valid });
  }
  const first = answers[speakers[0]!];
  const agreement = first !== undefined && speakers.every((speaker) => answers[speaker] === first);
  const tokens: Record<string, number> = {};
  for (const speaker of speakers) tokens[speaker] = task.usage[speaker]?.completionTokens ?? 0;
  const coral: CoralState = {
    answers,
    agreement,
    agreedAnswer: agreement ? first! : null,
    agreementCorrect: agreement && first === row.answer,
    key: row.answer,
    turns: speakerTurns.length,
    tokens,
    extractions,
  };
  return { state: { coral } };
}

/** The conversation's stop condition: agreement ends it (max turns and errors end it too). */
export function stopOnAgreement(task: Task): string | false {
  const coral = task.state.coral as { agreement?: boolean } | undefined;
  return coral?.agreement ? "agreement" : false;
}
