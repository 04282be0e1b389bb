/**
 * The driver's answers on a live run's control channel (NATS: `matrix dlq ... --nats URL --run ID`):
 * the run's dead letters, one of them, or a retry of some into the run.
 *
 * Where you are: `pipeline/`. run-pipeline.ts registers this with the bus (`bus.onControl`); it uses
 * only the run handle, so it imports nothing that imports run-pipeline (tslab's CommonJS loader does
 * not survive import cycles).
 */
import type { Run } from "../driver/run.js";
import { ConfigError } from "../errors.js";
import { findDeadLetter, summarizeDeadLetter } from "../sink/dead-letters.js";

/**
 * What the driver of a live run answers on its control channel (NATS: `matrix dlq ... --nats --run`):
 * its dead letters, one of them, or a retry into the run.
 */
export async function answerRunControl(run: Run, request: { op: string } & Record<string, unknown>): Promise<unknown> {
  switch (request.op) {
    case "list":
      return run.deadLetters().map((task) => summarizeDeadLetter(task));
    case "show":
      return findDeadLetter(
        run.deadLetters().map((task) => ({ ...summarizeDeadLetter(task), task })),
        String(request.id),
      ).task;
    case "retry": {
      const ids = Array.isArray(request.ids) ? request.ids.map(String) : undefined;
      const patch =
        typeof request.patch === "object" && request.patch !== null
          ? (request.patch as Record<string, unknown>)
          : undefined;
      const from = request.from === "start" ? "start" : "failed-role";
      const queued = ids ?? run.deadLetters().map((task) => task.id);
      const again = await run.retry(ids, { patch, from });
      return { queued, runId: again.runId };
    }
    default:
      throw new ConfigError("op", `unknown control request '${request.op}' (list, show or retry)`);
  }
}
