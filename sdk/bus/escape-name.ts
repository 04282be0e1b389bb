/**
 * Names made safe for NATS, one to one: a run id or role becomes a subject token or stream name
 * (nats/names.ts), a store name a KV key prefix (shared-store.ts).
 *
 * Where you are: `bus/`. A name is kept when every character is allowed and it does not look escaped
 * already; anything else becomes `x` and its UTF-8 hex. The second condition keeps the mapping one to
 * one: a run called `x612e62` would otherwise have had the stream of the run `a.b`.
 */
const LOOKS_ESCAPED = /^x[0-9a-f]+$/;

export function escapeName(name: string, allowed: RegExp): string {
  return allowed.test(name) && !LOOKS_ESCAPED.test(name) ? name : `x${Buffer.from(name, "utf8").toString("hex")}`;
}
