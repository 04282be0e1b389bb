/**
 * Fault injection: which fault, if any, a request gets, from the configured rates or from the
 * `x-sim-fault` request header (for deterministic tests).
 *
 * Where you are: `llm/simulator/`. Pure. The server decides what each fault looks like on the wire
 * (server.ts); add a kind here, in `FaultRates` (profiles.ts) and there.
 */
import type { FaultRates } from "./profiles.js";
import type { Random } from "./random.js";

export const FAULT_KINDS = [
  "rate-limit",
  "server-error",
  "hang",
  "malformed-json",
  "truncated-stream",
  "drop-connection",
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The configuration key of each kind. */
const RATE_KEYS: Record<FaultKind, keyof FaultRates> = {
  "rate-limit": "rateLimit",
  "server-error": "serverError",
  hang: "hang",
  "malformed-json": "malformedJson",
  "truncated-stream": "truncatedStream",
  "drop-connection": "dropConnection",
};

/** Header spellings accepted besides the kind names (status codes, short forms, config keys). */
const ALIASES: Record<string, FaultKind | "none"> = {
  "429": "rate-limit",
  "500": "server-error",
  malformed: "malformed-json",
  truncated: "truncated-stream",
  truncate: "truncated-stream",
  drop: "drop-connection",
  none: "none",
};

/**
 * Reads the `x-sim-fault` header: a fault kind, `"none"` (suppress random faults), undefined when the
 * header is absent, or `{invalid}` for a value it does not know.
 */
export function parseFaultHeader(
  value: string | string[] | undefined,
): FaultKind | "none" | undefined | { invalid: string } {
  if (value === undefined) return undefined;
  const text = (Array.isArray(value) ? value[0]! : value).trim();
  const lower = text.toLowerCase();
  if ((FAULT_KINDS as readonly string[]).includes(lower)) return lower as FaultKind;
  if (lower in ALIASES) return ALIASES[lower];
  const byKey = FAULT_KINDS.find((kind) => RATE_KEYS[kind].toLowerCase() === lower);
  return byKey ?? { invalid: text };
}

/** Draws a fault from the rates (one uniform draw, kinds tested in a fixed order). */
export function drawFault(rates: FaultRates, random: Random): FaultKind | undefined {
  let draw = random.next();
  for (const kind of FAULT_KINDS) {
    const rate = rates[RATE_KEYS[kind]];
    if (draw < rate) return kind;
    draw -= rate;
  }
  return undefined;
}
