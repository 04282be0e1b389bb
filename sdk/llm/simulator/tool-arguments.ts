/**
 * Arguments for a simulated tool call: valid against the tool's JSON Schema, and grounded in the
 * conversation where possible, so offline runs exercise tools the way a model does (it looks a user up
 * by the email it was given, then an order by an id the lookup returned) instead of failing on random
 * strings.
 *
 * Where you are: `llm/simulator/`. Pure and seeded (the caller's PRNG). A string argument takes the
 * conversation value that fits it best: one found under the same JSON key, then one shaped like the
 * example in the argument's description ("such as '#W0000000'"), then one its name suggests (an email,
 * a zip code, a first or last name, an id), as long as it meets the argument's own limits (length,
 * pattern, item counts). Enums, numbers and booleans, and strings nothing fits, are sampled from the
 * schema (json-schema-sample.ts, whose strings follow their `pattern` and `format`: string-sample.ts).
 */
import { conversationValues, isEmail, isIdLike, type ConversationValue } from "./conversation-values.js";
import { sampleJsonSchema } from "./json-schema-sample.js";
import type { Random } from "./random.js";
import type { ChatMessageBody } from "./request-schema.js";

type Schema = Record<string, unknown>;

/** A guess (any id-like token for an `*_id`), below the fits that make a call likely to succeed. */
const WEAK_FIT = 2;

const patterns = new Map<string, RegExp | null>();

/**
 * Whether `value` meets a plain string schema's own limits (`minLength`, `maxLength`, `pattern`): a
 * conversation value that breaks them would make the call invalid, so it is no candidate. Lengths count
 * code points, as JSON Schema does; a pattern that does not compile here excludes nothing.
 */
function meetsLimits(schema: Schema, value: string): boolean {
  const length = [...value].length;
  if (typeof schema.minLength === "number" && length < schema.minLength) return false;
  if (typeof schema.maxLength === "number" && length > schema.maxLength) return false;
  if (typeof schema.pattern === "string") {
    let pattern = patterns.get(schema.pattern);
    if (pattern === undefined) {
      try {
        pattern = new RegExp(schema.pattern, "u");
      } catch {
        pattern = null;
      }
      patterns.set(schema.pattern, pattern);
    }
    if (pattern && !pattern.test(value)) return false;
  }
  return true;
}

/** How well `candidate` fits the argument `name` (0 = not at all); see the file header for the order. */
function fit(name: string, schema: Schema, candidate: ConversationValue): number {
  if (!meetsLimits(schema, candidate.value)) return 0;
  const wanted = name.toLowerCase();
  const stem = wanted.replace(/_ids?$|_list$|s$/, "");
  const key = candidate.key?.toLowerCase();
  if (key !== undefined) {
    if (key === wanted || key === stem) return 10;
    const keyStem = key.replace(/_ids?$|s$/, "");
    if (keyStem.length > 2 && (stem === keyStem || stem.endsWith(keyStem) || keyStem.endsWith(stem))) return 8;
  }
  const shape = exampleShape(schema.description);
  if (shape) return shape.test(candidate.value) ? 6 : 0;
  if (wanted.includes("email")) return isEmail(candidate.value) ? 6 : 0;
  if (wanted.includes("zip") || wanted.includes("postal")) return /^\d{5}(-\d{4})?$/.test(candidate.value) ? 6 : 0;
  // Names come only from "First Last" pairs, which conversationValues files under these keys.
  if (wanted.endsWith("first_name") || wanted.endsWith("last_name")) return 0;
  // Any id-like token for an id argument without an example, but not one from the instructions.
  if (wanted === "id" || wanted.endsWith("_id") || wanted.endsWith("_ids"))
    return isIdLike(candidate.value) && !isEmail(candidate.value) && !candidate.system ? WEAK_FIT : 0;
  return 0;
}

const shapes = new Map<string, RegExp | undefined>();

/** A pattern for the example a description gives: "such as '#W0000000'" matches `#W2378156`. */
export function exampleShape(description: unknown): RegExp | undefined {
  if (typeof description !== "string") return undefined;
  if (shapes.has(description)) return shapes.get(description);
  const match = /(?:such as|e\.g\.,?|for example|like)\s*['"`]([^'"`]{2,40})['"`]/i.exec(description);
  let shape: RegExp | undefined;
  if (match) {
    const example = match[1]!;
    const allDigits = /^\d+$/.test(example);
    const pattern = example.replace(/\d+|[a-z]+|[A-Z]|[^A-Za-z0-9]/g, (part) =>
      /^\d/.test(part)
        ? allDigits
          ? `\\d{${part.length}}`
          : "\\d+"
        : /^[a-z]/.test(part)
          ? "[a-z]+"
          : /^[A-Z]$/.test(part)
            ? "[A-Z]"
            : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
    );
    shape = new RegExp(`^${pattern}$`);
  }
  shapes.set(description, shape);
  return shape;
}

/** The best-fitting values for an argument, most recent first, and how well they fit. */
function bestFits(name: string, schema: Schema, values: readonly ConversationValue[]): ConversationValue[] {
  let best = 0;
  let fits: ConversationValue[] = [];
  for (const candidate of values) {
    const score = fit(name, schema, candidate);
    if (score === 0 || score < best) continue;
    if (score > best) {
      best = score;
      fits = [];
    }
    if (!fits.some((seen) => seen.value === candidate.value)) fits.push(candidate);
  }
  return fits.sort((a, b) => b.order - a.order);
}

function pickFit(fits: ConversationValue[], random: Random): string {
  // Mostly the latest mention (what a model would act on next), sometimes an earlier one.
  return random.next() < 0.7 ? fits[0]!.value : random.pick(fits).value;
}

function isPlainString(schema: Schema): boolean {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== "null") : schema.type;
  return type === "string" && !("enum" in schema) && !("const" in schema) && schema.format === undefined;
}

function argument(name: string, schema: Schema, values: readonly ConversationValue[], random: Random): unknown {
  if (isPlainString(schema)) {
    const fits = bestFits(name, schema, values);
    if (fits.length > 0) return pickFit(fits, random);
  }
  const items = schema.items as Schema | undefined;
  if (schema.type === "array" && items && isPlainString(items)) {
    const fits = bestFits(name, { ...items, description: items.description ?? schema.description }, values);
    const min = typeof schema.minItems === "number" ? schema.minItems : 1;
    const max = typeof schema.maxItems === "number" ? schema.maxItems : Infinity;
    // Repeating a value to reach minItems is fine, unless the items must be unique.
    const enough = schema.uniqueItems === true ? fits.length >= min : fits.length > 0;
    if (enough && min <= max) {
      const count = Math.min(max, Math.max(min, Math.min(fits.length, random.int(1, 2))));
      return Array.from({ length: count }, (_, index) => fits[index % fits.length]!.value);
    }
  }
  return sampleJsonSchema(schema, random);
}

/** The values tool arguments may reuse (see conversation-values.ts). */
export function argumentValues(messages: readonly ChatMessageBody[]): ConversationValue[] {
  return conversationValues(messages);
}

/** Arguments for a tool whose parameters are `parameters`, grounded in the conversation's `values`. */
export function sampleToolArguments(
  parameters: Schema,
  values: readonly ConversationValue[],
  random: Random,
): Record<string, unknown> {
  const properties = (parameters.properties ?? {}) as Record<string, Schema>;
  const required = new Set(Array.isArray(parameters.required) ? (parameters.required as string[]) : []);
  const args: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(properties)) {
    // Optional arguments half the time, as a model fills them when it has something to say.
    if (!required.has(name) && random.next() >= 0.5) continue;
    args[name] = argument(name, schema, values, random);
  }
  return args;
}

/**
 * How well the conversation can fill a tool's required string arguments: the share of them with a
 * value that fits better than a guess (0..1; 0.5 for a tool that needs none). Tools that can succeed
 * are preferred, as a model calls what it has the arguments for.
 */
export function groundedArguments(parameters: Schema, values: readonly ConversationValue[]): number {
  const properties = (parameters.properties ?? {}) as Record<string, Schema>;
  const required = (Array.isArray(parameters.required) ? (parameters.required as string[]) : []).filter(
    (name) => properties[name] !== undefined && isPlainString(properties[name]!),
  );
  if (required.length === 0) return 0.5;
  const filled = required.filter((name) =>
    bestFits(name, properties[name]!, values).some((fit) => fitScore(name, properties[name]!, fit) > WEAK_FIT),
  );
  return filled.length / required.length;
}

function fitScore(name: string, schema: Schema, candidate: ConversationValue): number {
  return fit(name, schema, candidate);
}
