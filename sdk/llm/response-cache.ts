/**
 * An on-disk cache of chat results: key = sha256 of everything that shapes the reply (model, messages,
 * sampling parameters, tools, response schema, extra body); value = the stored `ChatResult` as JSON.
 *
 * Where you are: `llm/`, used by the pool when `cacheDir` is set. Files live under
 * `cacheDir/ab/cd/<sha256>.json` (sharded so no directory grows huge). Writes go to a temp file and are
 * renamed into place, so a crash or two concurrent writers never leave a half-written entry. Routing
 * fields (`stickyKey`, `role`, `stream`, `signal`) are not part of the key: they do not change the reply.
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { ChatRequest, ChatResult } from "./llm-client.js";

/** Bump when the stored shape changes, so old entries stop matching instead of being misread. */
const CACHE_FORMAT = 1;

export function responseCacheKey(request: ChatRequest, model: string): string {
  const material = {
    format: CACHE_FORMAT,
    model,
    messages: request.messages,
    temperature: request.temperature,
    topP: request.topP,
    maxTokens: request.maxTokens,
    seed: request.seed,
    stop: request.stop,
    tools: request.tools,
    responseSchema: request.responseSchema,
    extraBody: request.extraBody,
  };
  return createHash("sha256").update(stableStringify(material)).digest("hex");
}

/** JSON with sorted object keys, so `{a, b}` and `{b, a}` hash the same. */
export function stableStringify(value: unknown): string {
  if (value === undefined) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, child]) => child !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, child]) => `${JSON.stringify(key)}:${stableStringify(child)}`).join(",")}}`;
}

export class ResponseCache {
  readonly dir: string;
  hits = 0;
  misses = 0;
  writes = 0;

  constructor(dir: string) {
    this.dir = dir;
  }

  pathOf(key: string): string {
    return join(this.dir, key.slice(0, 2), key.slice(2, 4), `${key}.json`);
  }

  /** The stored result, or undefined on a miss or an unreadable entry (treated as a miss, not an error). */
  async get(key: string): Promise<ChatResult | undefined> {
    try {
      const text = await readFile(this.pathOf(key), "utf8");
      const stored = JSON.parse(text) as { format?: number; result?: ChatResult };
      if (stored.format !== CACHE_FORMAT || !stored.result) throw new Error("stale entry");
      this.hits++;
      return stored.result;
    } catch {
      this.misses++;
      return undefined;
    }
  }

  async set(key: string, result: ChatResult): Promise<void> {
    const path = this.pathOf(key);
    const dir = join(this.dir, key.slice(0, 2), key.slice(2, 4));
    await mkdir(dir, { recursive: true });
    const tmp = join(dir, `.${key}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`);
    try {
      await writeFile(tmp, JSON.stringify({ format: CACHE_FORMAT, key, result }), "utf8");
      await rename(tmp, path);
      this.writes++;
    } catch (error) {
      await rm(tmp, { force: true });
      throw error;
    }
  }
}
