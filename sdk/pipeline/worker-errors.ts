/**
 * The driver's view of workers that do not serve its run: it watches the worker heartbeats on NATS
 * and turns a problem a worker reports about this run (an LLM it cannot reach, a signature it
 * refuses) into a `worker-error` event, shown in the run's progress; a worker that later serves the
 * run (or goes away) withdraws it with an empty message.
 *
 * Where you are: `pipeline/`, used by run-pipeline.ts on a NATS bus. It costs one KV watch per run,
 * fed by heartbeats every few seconds: nothing on the hop path.
 */
import type { NatsBus } from "../bus/nats/nats-bus.js";
import { WorkerRegistry } from "../bus/nats/worker-registry.js";
import type { RunEvent } from "../schema/event.js";

export function watchWorkerErrors(bus: NatsBus, runId: string, emit: (event: RunEvent) => void): () => void {
  /** What each worker last said about this run, to emit changes only. */
  const said = new Map<string, string>();
  const workerOfKey = new Map<string, string>();
  const update = (worker: string, reason: string, message: string): void => {
    if ((said.get(worker) ?? "") === message) return;
    if (message) said.set(worker, message);
    else said.delete(worker);
    emit({ type: "worker-error", worker, reason, message, time: Date.now() });
  };
  let stopped = false;
  let stop: (() => void) | undefined;
  // In the background: the run does not wait for it, and a watch that fails only loses the display.
  // The watch replays every current heartbeat first, then each new one.
  void WorkerRegistry.open(bus.connection)
    .then((registry) =>
      registry.watch((key, heartbeat) => {
        if (heartbeat === undefined) {
          // The worker drained (its heartbeat was removed): it no longer refuses anything.
          const worker = workerOfKey.get(key);
          if (worker !== undefined) update(worker, "", "");
          return;
        }
        workerOfKey.set(key, heartbeat.id);
        const problem = heartbeat.problems?.find((p) => p.runId === runId);
        update(heartbeat.id, problem?.reason ?? "", problem?.message ?? "");
      }),
    )
    .then((stopWatch) => (stopped ? stopWatch() : (stop = stopWatch)))
    .catch(() => {});
  return () => {
    stopped = true;
    stop?.();
  };
}
