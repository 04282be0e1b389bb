/**
 * The registry of active runs: a KV bucket whose key is the run and whose value carries the pipeline
 * definition. The driver puts a run when it opens it and deletes it when it closes; workers watch
 * the bucket and serve the roles of every run in it, including runs started after them.
 *
 * Where you are: `bus/nats/`. The record is validated by whoever reads it (workers verify its
 * signature first, then parse the definition with `parseDefinition` and the LLM selection with its
 * schema); here it is only a typed envelope. The record is written once and never updated (an
 * update would need a new signature): the driver's lease lives in its own bucket (run-lease.ts).
 */
import { Kvm, KvWatchInclude, type KV, type KvEntry } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { LlmSelection } from "../../schema/llm-selection.js";
import type { PipelineDefinition } from "../../schema/pipeline-definition.js";
import type { ContentRef } from "../../schema/turn.js";
import type { RunSignature } from "../../trust/run-signature.js";
import { jsonOf, kvEntries } from "./kv-entries.js";
import { names, token } from "./names.js";

export interface RunRecord {
  runId: string;
  definition: PipelineDefinition;
  /** The bus settings workers must share with the driver. */
  bus: { offloadThreshold: number };
  /**
   * Module bundles by name, stored in the run's content store (a bundle can outgrow a KV value, and
   * the bucket is destroyed with the run): workers fetch and load them.
   */
  modules?: Record<string, ContentRef & { path: string }>;
  /** The LLM every worker uses for this run (never keys). Absent in records of older drivers. */
  llm?: LlmSelection;
  /** What decides task ids and seeds (a driver adopting the run, or `matrix attach`, must match it). */
  settings?: { trials: number; idField: string; seed: number };
  created: number;
  driver: { host: string; pid: number };
  /** The driver's ed25519 signature over everything above (trust/run-signature.ts). */
  signature?: RunSignature;
}

/** A run's record as read, with the raw entry's server time. */
export async function getRun(kv: KV, runId: string): Promise<RunRecord | undefined> {
  const entry = await kv.get(token(runId));
  return entry ? decodeRunRecord(entry) : undefined;
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

/** Every registered run (read without a consumer: see kv-entries.ts). */
export async function listRuns(nc: NatsConnection): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  for (const entry of await kvEntries(nc, names.runsBucket)) {
    const record = jsonOf<RunRecord>(entry);
    if (typeof record?.runId === "string" && typeof record.definition === "object") runs.push(record);
  }
  return runs;
}

/**
 * Calls `onPut` for every registered run (present now or added later) and `onDelete` with the key of
 * every withdrawn one. Returns a stop function.
 *
 * Entries of one run are handled in order (a delete waits for the put before it); different runs do
 * not wait for each other. Awaiting every handler in turn let one slow withdrawal (a run's agents
 * finishing the hops in hand) hold back the start of every run registered after it.
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
  /** The last handler queued for each run key, while it runs. */
  const tails = new Map<string, Promise<void>>();
  const handle = async (entry: KvEntry): Promise<void> => {
    if (stopped) return;
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
  };
  void (async () => {
    for await (const entry of watch) {
      if (stopped) break;
      const tail = (tails.get(entry.key) ?? Promise.resolve()).then(() => handle(entry));
      tails.set(entry.key, tail);
      void tail.then(() => {
        if (tails.get(entry.key) === tail) tails.delete(entry.key);
      });
    }
  })().catch(handlers.onError);
  return () => {
    stopped = true;
    watch.stop();
  };
}
