/**
 * Removing a run from NATS: its registry record, its stream (and with it every role consumer), its
 * content stream and object store (offloaded content and module bundles), its shared KV bucket (dedup indexes) and its lease. The driver does it when the run
 * ends; a worker does it for an abandoned run.
 *
 * Where you are: `bus/nats/`. A driver deletes the record with a KV delete, which every worker's watch
 * sees at once. A worker purges it through the JetStream API instead: the recommended worker account
 * may not publish to the registry's subjects (that would let it write runs), and the other workers
 * notice the removal on their next sweep. Each step tolerates "not found": two removers may race.
 */
import type { JetStreamManager } from "@nats-io/jetstream";
import type { KV } from "@nats-io/kv";
import type { ContentStore } from "./content-store.js";
import { ignoreNotFound } from "./jetstream-errors.js";
import { names, token } from "./names.js";
import { deleteRun } from "./run-registry.js";
import { destroySharedBucket } from "./shared-kv-store.js";
import type { RunLeases } from "./run-lease.js";

export async function removeRun(
  runId: string,
  parts: {
    jsm: JetStreamManager;
    runs: KV;
    content: ContentStore;
    leases?: RunLeases;
    /** "driver": KV delete (watchers told at once); "worker": purge through the API. */
    as: "driver" | "worker";
  },
): Promise<void> {
  if (parts.as === "driver") await deleteRun(parts.runs, runId);
  else
    await parts.jsm.streams
      .purge(`KV_${names.runsBucket}`, { filter: `$KV.${names.runsBucket}.${token(runId)}` })
      .catch(ignoreNotFound);
  await parts.jsm.streams.delete(names.stream(runId)).catch(ignoreNotFound);
  await parts.content.destroy(runId);
  await destroySharedBucket(parts.jsm, runId);
  await parts.leases?.remove(runId).catch(ignoreNotFound);
}
