/**
 * The natural-reasoning run summary (`summary.metrics.naturalReasoning`): survivors per stage,
 * termination reasons and yield, folded over finished tasks.
 *
 * Where you are: `recipes/natural-reasoning/`. A task survives a stage when `state.curation.<stage>`
 * says it passed; an error (a dead-lettered task) counts for the stages it passed before.
 */
import type { MetricSpec } from "../../pipeline/pipeline.js";

export interface NaturalReasoningAccumulator {
  input: number;
  survivors: Record<string, number>;
  reasons: Record<string, number>;
}

/** What `summary.metrics.naturalReasoning` holds. */
export interface NaturalReasoningSummary {
  /** Finished tasks (passages) of every outcome. */
  input: number;
  /** Passages that passed each stage, in order: language, reasoning, score, question. */
  survivors: Record<string, number>;
  /** Why tasks ended: a stage name (filtered there), `completed` (a question was made) or `error`. */
  terminationReasons: Record<string, number>;
  /** Completed over input. */
  yield: number;
}

export const naturalReasoningMetric: MetricSpec<NaturalReasoningAccumulator> = {
  initial: { input: 0, survivors: {}, reasons: {} },
  accumulate(acc, task, ctx) {
    acc.input++;
    const curation = (task.state.curation ?? {}) as Record<string, { passed?: boolean } | undefined>;
    for (const stage of ctx.params.stages as string[]) {
      acc.survivors[stage] = (acc.survivors[stage] ?? 0) + (curation[stage]?.passed ? 1 : 0);
    }
    const reason =
      task.status === "failed" ? "error" : task.status === "done" ? "completed" : (task.reason ?? "unknown");
    acc.reasons[reason] = (acc.reasons[reason] ?? 0) + 1;
    return acc;
  },
  result(acc, ctx) {
    const survivors: Record<string, number> = {};
    for (const stage of ctx.params.stages as string[]) survivors[stage] = acc.survivors[stage] ?? 0;
    const completed = acc.reasons.completed ?? 0;
    return {
      input: acc.input,
      survivors,
      terminationReasons: acc.reasons,
      yield: acc.input === 0 ? 0 : Math.round((completed / acc.input) * 10000) / 10000,
    };
  },
};
