/**
 * The registry of active runs: a KV bucket whose key is the run and whose value carries the pipeline
 * definition. The driver puts a run when it opens it and deletes it when it closes; workers watch
 * the bucket and serve the roles of every run in it, including runs started after them.
 *
 * Where you are: `bus/nats/`. The record is validated by whoever reads it (workers parse the
 * definition with `parseDefinition`); here it is only a typed envelope.
 */
import { Kvm, KvWatchInclude, type KV, type KvEntry } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { PipelineDefinition } from "../../schema/pipeline-definition.js";
import type { ContentRef } from "../../schema/turn.js";
import { token } from "./names.js";

export interface RunRecord {
  runId: string;
  definition: PipelineDefinition;
  /** The bus settings workers must share with the driver. */
  bus: { offloadThreshold: number };
  /**
   * Module bundles by name, stored in the run's object store (a bundle can outgrow a KV value, and
   * the bucket is destroyed with the run): workers fetch and load them.
   */
  modules?: Record<string, ContentRef & { path: string }>;
  created: number;
  driver: { host: string; pid: number };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export async function openKv(
  nc: NatsConnection,
  bucket: string,
  options: { ttlMs?: number; replicas?: number } = {},
): Promise<KV> {
  return new Kvm(nc).create(bucket, {
    history: 1,
    ...(options.ttlMs ? { ttl: options.ttlMs } : {}),
    ...(options.replicas ? { replicas: options.replicas } : {}),
  });
}

export async function putRun(kv: KV, record: RunRecord): Promise<void> {
  await kv.put(token(record.runId), encoder.encode(JSON.stringify(record)));
}

export async function deleteRun(kv: KV, runId: string): Promise<void> {
  await kv.delete(token(runId));
}

export function decodeRunRecord(entry: KvEntry): RunRecord | undefined {
  if (entry.operation !== "PUT") return undefined;
  try {
    const value = JSON.parse(decoder.decode(entry.value)) as RunRecord;
    return typeof value?.runId === "string" && typeof value.definition === "object" ? value : undefined;
  } catch {
    return undefined;
  }
}

export async function listRuns(kv: KV): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  for await (const key of await kv.keys()) {
    const entry = await kv.get(key);
    const record = entry ? decodeRunRecord(entry) : undefined;
    if (record) runs.push(record);
  }
  return runs;
}

/**
 * Calls `onPut` for every registered run (present now or added later) and `onDelete` with the key of
 * every withdrawn one. Returns a stop function.
 */
export async function watchRuns(
  kv: KV,
  handlers: {
    onPut: (record: RunRecord) => Promise<void>;
    onDelete: (key: string) => Promise<void>;
    onError: (error: unknown) => void;
  },
): Promise<() => void> {
  const watch = await kv.watch({ include: KvWatchInclude.LastValue });
  let stopped = false;
  void (async () => {
    for await (const entry of watch) {
      if (stopped) break;
      // One bad run (an invalid definition, an LLM that cannot start) must not stop the watch.
      try {
        if (entry.operation === "PUT") {
          const record = decodeRunRecord(entry);
          if (record) await handlers.onPut(record);
        } else {
          await handlers.onDelete(entry.key);
        }
      } catch (error) {
        handlers.onError(error);
      }
    }
  })().catch(handlers.onError);
  return () => {
    stopped = true;
    watch.stop();
  };
}
