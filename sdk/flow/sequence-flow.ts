/**
 * Sequence: each role once, in order, then the sink.
 *
 * Where you are: `flow/`.
 */
import { END, type Flow, type FlowStep } from "./flow.js";

export function sequenceFlow(roles: readonly string[]): Flow {
  const position = new Map(roles.map((role, index) => [role, index]));
  return {
    entry: roles[0]!,
    roles,
    next(_task, justRan): FlowStep {
      const index = position.get(justRan);
      const next = index === undefined ? undefined : roles[index + 1];
      return next === undefined ? { next: END } : { next };
    },
  };
}
