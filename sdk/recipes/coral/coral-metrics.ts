/**
 * Coral's run summary (`summary.metrics.coral`), folded over finished tasks: agreement rate,
 * agreement correctness, mean turns, mean completion tokens per speaker, error rate, stop reasons.
 *
 * Where you are: `recipes/coral/`. Rates over conversations are over tasks that finished (done);
 * the error rate is over every task. The functions travel as source text (see coral-matcher).
 */
import type { MetricSpec } from "../../pipeline/pipeline.js";

export interface CoralAccumulator {
  tasks: number;
  errors: number;
  conversations: number;
  agreements: number;
  correctAgreements: number;
  turns: number;
  tokens: Record<string, number>;
  stopReasons: Record<string, number>;
}

/** What `summary.metrics.coral` holds. */
export interface CoralSummary {
  /** Finished tasks: conversations plus errors. */
  tasks: number;
  conversations: number;
  /** Conversations that ended in agreement. */
  agreementRate: number;
  /** Conversations that agreed on the key (the original's `agreement_correctness`). */
  agreementCorrectness: number;
  /** Of the agreements, the share on the key. */
  correctWhenAgreed: number | null;
  meanTurns: number;
  /** Mean completion tokens per conversation, by speaker. */
  meanTokens: Record<string, number>;
  /** Tasks that ended in an error (dead-lettered), over all tasks. */
  errorRate: number;
  /** Tasks by why they ended: agreement, max-turns, error. */
  stopReasons: Record<string, number>;
}

export const coralMetric: MetricSpec<CoralAccumulator> = {
  initial: {
    tasks: 0,
    errors: 0,
    conversations: 0,
    agreements: 0,
    correctAgreements: 0,
    turns: 0,
    tokens: {},
    stopReasons: {},
  },
  accumulate(acc, task, ctx) {
    acc.tasks++;
    const reason = task.status === "failed" ? "error" : (task.reason ?? "unknown");
    acc.stopReasons[reason] = (acc.stopReasons[reason] ?? 0) + 1;
    if (task.status === "failed") {
      acc.errors++;
      return acc;
    }
    const coral = task.state.coral as { agreement?: boolean; agreementCorrect?: boolean; turns?: number } | undefined;
    acc.conversations++;
    if (coral?.agreement) acc.agreements++;
    if (coral?.agreementCorrect) acc.correctAgreements++;
    acc.turns += coral?.turns ?? 0;
    for (const speaker of ctx.params.speakers as string[]) {
      acc.tokens[speaker] = (acc.tokens[speaker] ?? 0) + (task.usage[speaker]?.completionTokens ?? 0);
    }
    return acc;
  },
  result(acc) {
    const per = (value: number, count: number) => (count === 0 ? 0 : Math.round((value / count) * 10000) / 10000);
    const meanTokens: Record<string, number> = {};
    for (const [speaker, total] of Object.entries(acc.tokens)) meanTokens[speaker] = per(total, acc.conversations);
    return {
      tasks: acc.tasks,
      conversations: acc.conversations,
      agreementRate: per(acc.agreements, acc.conversations),
      agreementCorrectness: per(acc.correctAgreements, acc.conversations),
      correctWhenAgreed: acc.agreements === 0 ? null : per(acc.correctAgreements, acc.agreements),
      meanTurns: per(acc.turns, acc.conversations),
      meanTokens,
      errorRate: per(acc.errors, acc.tasks),
      stopReasons: acc.stopReasons,
    };
  },
};
