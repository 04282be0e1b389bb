/**
 * The endpoint registry: OpenAI-compatible inference servers (vLLM, SGLang, the simulator) put their
 * base URL and model into a KV bucket; workers without an explicit LLM use every registered endpoint.
 *
 * Where you are: `bus/nats/`. Entries expire (bucket TTL) unless re-registered, so a dead server drops
 * out; registrants refresh every TTL/3. API keys are never stored here: workers take them from
 * OPENAI_API_KEY.
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { jsonOf, kvEntries } from "./kv-entries.js";
import { names } from "./names.js";
import { openKv } from "./run-registry.js";

export interface EndpointRecord {
  url: string;
  model?: string;
  /** vllm, sglang, simulator, ... (informational). */
  kind?: string;
  time: number;
}

const keyOf = (url: string) => url.replace(/[^-_=a-zA-Z0-9]/g, "_");

/** TTL of an endpoint entry. @default 60 s */
export const ENDPOINT_TTL_MS = 60_000;

export async function registerEndpoint(nc: NatsConnection, record: Omit<EndpointRecord, "time">): Promise<void> {
  const kv = await openKv(nc, names.endpointsBucket, { ttlMs: ENDPOINT_TTL_MS });
  await kv.put(keyOf(record.url), JSON.stringify({ ...record, time: Date.now() }));
}

/** Withdraws an endpoint (its server is stopping): runs that start later no longer see it. */
export async function unregisterEndpoint(nc: NatsConnection, url: string): Promise<void> {
  const kv = await openKv(nc, names.endpointsBucket, { ttlMs: ENDPOINT_TTL_MS });
  await kv.delete(keyOf(url));
}

export async function listEndpoints(nc: NatsConnection): Promise<EndpointRecord[]> {
  // Read without a consumer (see kv-entries.ts); malformed entries are skipped.
  const endpoints: EndpointRecord[] = [];
  for (const entry of await kvEntries(nc, names.endpointsBucket)) {
    const record = jsonOf<EndpointRecord>(entry);
    if (typeof record?.url === "string") endpoints.push(record);
  }
  return endpoints;
}
