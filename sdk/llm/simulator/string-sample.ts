/**
 * Samples a string for a JSON Schema string node the way a strict-mode server's guided decoding would:
 * it has the node's `format` (an ajv-formats value: `date-time`, `uri`, `uuid`, `ipv4`, ...) and matches its
 * `pattern`, within `minLength`/`maxLength`. Structured replies are checked by ajv (json-schema-validator.ts),
 * which checks formats and patterns, so a simulated reply that ignored them would fail every time.
 *
 * Where you are: `llm/simulator/`, used by json-schema-sample.ts. A pattern is sampled with `randexp`, drawing
 * from the simulator's seeded `Random` so a seed still fixes the reply. randexp skips lookarounds, so each
 * draw is checked against the pattern and drawn again a few times; a pattern it cannot follow (`\p{...}`)
 * gives plain words, as a model would that got it wrong (the repair turn then says why).
 */
import * as randexpModule from "randexp";
import type { Random } from "./random.js";

interface CharacterRange {
  subtract(from: number, to: number): CharacterRange;
}

/** What is used of a randexp generator. */
interface PatternGenerator {
  max: number;
  randInt: (from: number, to: number) => number;
  /** Characters `.` and negated classes draw from (a drange). */
  defaultRange: CharacterRange;
  gen(): string;
}

const RandExp = classOf(randexpModule) as new (pattern: RegExp) => PatternGenerator;

/**
 * randexp is CommonJS whose module.exports is the class, while its types declare an ES default export, so
 * the import is typed one way under NodeNext (tsc) and another under tslab's Node10 resolution: take the
 * class from whichever `default` holds it at run time.
 */
function classOf(module: unknown): unknown {
  let value = module;
  while (typeof value !== "function" && (value as { default?: unknown } | undefined)?.default !== undefined)
    value = (value as { default: unknown }).default;
  return value;
}

type Schema = Record<string, unknown>;

const WORDS = [
  "alpha",
  "beta",
  "gamma",
  "delta",
  "river",
  "stone",
  "maple",
  "cloud",
  "ember",
  "harbor",
  "quartz",
  "violet",
];

const two = (n: number) => String(n).padStart(2, "0");
const hex = (random: Random, length: number) =>
  Array.from({ length }, () => "0123456789abcdef"[random.int(0, 15)]).join("");

/** A valid value per format (the formats ajv-formats checks, and the ones zod names beside a pattern). */
const FORMATS: Record<string, (random: Random) => string> = {
  "date-time": (r) => new Date(Date.UTC(2024, r.int(0, 11), r.int(1, 28), r.int(0, 23), r.int(0, 59))).toISOString(),
  "iso-date-time": (r) => FORMATS["date-time"]!(r),
  date: (r) => `2024-${two(r.int(1, 12))}-${two(r.int(1, 28))}`,
  time: (r) => `${two(r.int(0, 23))}:${two(r.int(0, 59))}:${two(r.int(0, 59))}Z`,
  "iso-time": (r) => `${two(r.int(0, 23))}:${two(r.int(0, 59))}:${two(r.int(0, 59))}`,
  duration: (r) => `P${r.int(1, 9)}DT${r.int(1, 23)}H`,
  email: (r) => `${r.pick(WORDS)}@example.com`,
  hostname: (r) => `${r.pick(WORDS)}.example.com`,
  uri: (r) => `https://example.com/${r.pick(WORDS)}`,
  url: (r) => `https://example.com/${r.pick(WORDS)}`,
  "uri-reference": (r) => `/${r.pick(WORDS)}`,
  ipv4: (r) => Array.from({ length: 4 }, () => r.int(1, 254)).join("."),
  ipv6: (r) => `2001:db8::${hex(r, 4)}`,
  uuid: (r) => `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-${"89ab"[r.int(0, 3)]}${hex(r, 3)}-${hex(r, 12)}`,
  byte: (r) => Buffer.from(r.pick(WORDS)).toString("base64"),
  base64: (r) => Buffer.from(r.pick(WORDS)).toString("base64"),
  // zod's own formats whose patterns randexp cannot follow (\p{...}) or that come without one.
  emoji: (r) => r.pick(["🙂", "🌊", "🍁", "⭐", "🚀"]),
  jwt: (r) =>
    [{ alg: "HS256", typ: "JWT" }, { sub: r.pick(WORDS) }]
      .map((part) => Buffer.from(JSON.stringify(part)).toString("base64url"))
      .concat(Buffer.from(hex(r, 32), "hex").toString("base64url"))
      .join("."),
};

/** Draws of a pattern before giving up on it (randexp ignores lookarounds and length bounds). */
const PATTERN_TRIES = 20;

export function sampleString(node: Schema, random: Random): string {
  const minLength = typeof node.minLength === "number" ? node.minLength : 0;
  const maxLength = typeof node.maxLength === "number" ? node.maxLength : Infinity;
  const fits = (text: string) => [...text].length >= minLength && [...text].length <= maxLength;
  const pattern = typeof node.pattern === "string" ? compile(node.pattern) : undefined;
  const format = typeof node.format === "string" ? FORMATS[node.format] : undefined;
  if (format) {
    const text = format(random);
    if (!pattern || pattern.test(text)) return text;
  }
  if (pattern) {
    const generator = patternGenerator(pattern, random);
    for (let attempt = 0; generator && attempt < PATTERN_TRIES; attempt++) {
      const text = generator.gen();
      if (pattern.test(text) && fits(text)) return text;
    }
  }
  let text = Array.from({ length: random.int(1, 4) }, () => random.pick(WORDS)).join(" ");
  while (text.length < minLength) text += ` ${random.pick(WORDS)}`;
  return text.slice(0, maxLength);
}

/** As ajv compiles it (json-schema-validator.ts): with the u flag where that is valid. */
function compile(pattern: string): RegExp | undefined {
  for (const flags of ["u", ""]) {
    try {
      return new RegExp(pattern, flags);
    } catch {
      // Try without the u flag, then give up on the pattern.
    }
  }
  return undefined;
}

function patternGenerator(pattern: RegExp, random: Random): PatternGenerator | undefined {
  try {
    const generator = new RandExp(pattern);
    // Short repetitions (a model's values are short), letters, digits and spaces where the pattern leaves
    // the choice open (`.`, `[^A-Z]`), and the simulator's seeded draws.
    generator.max = 6;
    generator.defaultRange.subtract(33, 47).subtract(58, 64).subtract(91, 96).subtract(123, 126);
    generator.randInt = (from: number, to: number) => random.int(from, to);
    return generator;
  } catch {
    return undefined;
  }
}
