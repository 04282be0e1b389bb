/**
 * Every live entry of a KV bucket, read message by message from the bucket's stream (each get asks
 * for the next message of the bucket's subjects after the last one read).
 *
 * Where you are: `bus/nats/`. Why not `kv.keys()` + `kv.get()`: in @nats-io/kv 3.4 `keys()` uses an
 * ordered consumer that can wait forever when a key is rewritten while it lists (measured here: a
 * heartbeat bucket written every few ms hung `keys()` within 300 listings), which froze `matrix
 * status` and a worker's sweep. Plain gets need no consumer; a key rewritten or deleted during the
 * listing is seen at its newest message, which has a higher sequence.
 */
import { jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { isNotFound } from "./jetstream-errors.js";

export interface KvRecord {
  key: string;
  value: Uint8Array;
  revision: number;
  /** Server time of the write. */
  created: Date;
}

const decoder = new TextDecoder();

export async function kvEntries(nc: NatsConnection, bucket: string, jsm?: JetStreamManager): Promise<KvRecord[]> {
  const manager = jsm ?? (await jetstreamManager(nc));
  const stream = `KV_${bucket}`;
  const prefix = `$KV.${bucket}.`;
  const latest = new Map<string, KvRecord>();
  let seq = 1;
  for (;;) {
    let stored;
    try {
      stored = await manager.streams.getMessage(stream, { seq, next_by_subj: `${prefix}>` } as never);
    } catch (error) {
      // No bucket yet: nothing in it.
      if (isNotFound(error)) break;
      throw error;
    }
    if (stored === null) break;
    const key = stored.subject.slice(prefix.length);
    const operation = stored.header?.get("KV-Operation");
    if (operation === "DEL" || operation === "PURGE") latest.delete(key);
    else latest.set(key, { key, value: stored.data, revision: stored.seq, created: stored.time });
    seq = stored.seq + 1;
  }
  return [...latest.values()];
}

/** An entry's value as JSON, or undefined when it is not JSON. */
export function jsonOf<T>(record: KvRecord): T | undefined {
  try {
    return JSON.parse(decoder.decode(record.value)) as T;
  } catch {
    return undefined;
  }
}
