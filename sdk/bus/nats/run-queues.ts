/**
 * What is left in a run's queues, read from its stream: the task ids queued after a sequence (what a
 * dead driver fed after its last checkpoint, so an adopting driver does not feed them again), and
 * whether every queue is empty (every task has reached the sink and been acked).
 *
 * Where you are: `bus/nats/`. Both are read-only and used only when a run is adopted or attached,
 * never on the hop path. Queued messages are counted from one stream-info snapshot: reading the role
 * consumers one by one could miss a task moving between two of them.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import { names, token } from "./names.js";
import { decodeTask } from "./task-codec.js";

/** Every role queue and the sink, not the dead subject. */
const queueSubjects = (runId: string) => `matrix.${token(runId)}.q.>`;

/** Ids of the tasks with a queued message whose stream sequence is greater than `afterSeq`. */
export async function queuedTaskIds(jsm: JetStreamManager, runId: string, afterSeq: number): Promise<Set<string>> {
  const stream = names.stream(runId);
  const ids = new Set<string>();
  let seq = afterSeq + 1;
  for (;;) {
    // next_by_subj skips the sequences already acked (deleted): the scan costs one request per live message.
    const stored = await jsm.streams.getMessage(stream, { seq, next_by_subj: queueSubjects(runId) } as never);
    if (stored === null) break;
    const decoded = decodeTask(stored.data);
    const id = decoded.ok ? decoded.task.id : (decoded.raw as { id?: unknown } | undefined)?.id;
    if (typeof id === "string") ids.add(id);
    seq = stored.seq + 1;
  }
  return ids;
}

/** Messages waiting or in flight in the run's queues (0: the run is finished and collected). */
export async function queuedMessages(jsm: JetStreamManager, runId: string): Promise<number> {
  const info = await jsm.streams.info(names.stream(runId), { subjects_filter: queueSubjects(runId) });
  return Object.values(info.state.subjects ?? {}).reduce((sum, count) => sum + count, 0);
}

/** The stream's last sequence now: every message published after this call gets a larger one. */
export async function lastSequence(jsm: JetStreamManager, runId: string): Promise<number> {
  return (await jsm.streams.info(names.stream(runId))).state.last_seq;
}
