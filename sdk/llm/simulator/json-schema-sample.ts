/**
 * Generates a value that conforms to a JSON Schema, for simulated structured output and tool arguments.
 *
 * Where you are: `llm/simulator/`. Pure; covers the subset models are asked for in practice (object,
 * properties, required, type string|number|integer|boolean|array|null, enum, const, anyOf/oneOf,
 * minimum/maximum, items, minItems/maxItems, local `$ref` into `$defs`; strings with their format, pattern
 * and length in string-sample.ts). An unknown keyword is ignored rather than failing, because a reply that
 * is mostly right beats a crash.
 *
 * Two hints make sampled replies behave like a model's: an `enum` that holds a value the prompt states
 * (`prefer`, e.g. the answer letter a reply to extract gives) yields that value, as an extractor at
 * temperature 0 would; a schema's `examples` are followed with probability `EXAMPLE_RATE`, as a model
 * shown examples mostly copies their form, so checks on that form see both outcomes.
 */
import type { Random } from "./random.js";
import { sampleString } from "./string-sample.js";

type Schema = Record<string, unknown>;

/** How often a schema's `examples` are followed (otherwise a value is sampled from the schema). */
export const EXAMPLE_RATE = 0.75;

/** Values the prompt states (see `prefer` above); empty when it states none. */
export interface SampleHints {
  prefer?: readonly unknown[];
}

/** A JSON value conforming to `schema` (best effort for constructs outside the subset above). */
export function sampleJsonSchema(
  schema: unknown,
  random: Random,
  root: unknown = schema,
  depth = 0,
  hints: SampleHints = {},
): unknown {
  if (typeof schema !== "object" || schema === null || depth > 12) return null;
  const node = schema as Schema;
  const inner = (child: unknown) => sampleJsonSchema(child, random, root, depth + 1, hints);
  if (typeof node.$ref === "string") return inner(resolveRef(node.$ref, root));
  if ("const" in node) return node.const;
  if (Array.isArray(node.enum) && node.enum.length > 0) {
    const stated = hints.prefer?.find((value) => (node.enum as unknown[]).includes(value));
    return stated !== undefined ? stated : random.pick(node.enum);
  }
  if (Array.isArray(node.examples) && node.examples.length > 0 && random.next() < EXAMPLE_RATE) {
    return random.pick(node.examples);
  }
  const variants = (node.anyOf ?? node.oneOf) as unknown[] | undefined;
  if (Array.isArray(variants) && variants.length > 0) {
    return inner(random.pick(variants));
  }
  if (Array.isArray(node.allOf) && node.allOf.length > 0) {
    return inner(Object.assign({}, ...(node.allOf as Schema[])));
  }
  let type = node.type;
  if (Array.isArray(type)) type = type.find((entry) => entry !== "null") ?? type[0];
  if (type === undefined) type = node.properties ? "object" : node.items ? "array" : "string";
  switch (type) {
    case "object":
      return sampleObject(node, random, root, depth, hints);
    case "array": {
      const min = numberOr(node.minItems, 0);
      const max = numberOr(node.maxItems, Math.max(min, 3));
      const length = random.int(Math.max(min, Math.min(1, max)), Math.max(min, Math.min(max, min + 3)));
      return Array.from({ length }, () => inner(node.items ?? {}));
    }
    case "integer": {
      const min = Math.ceil(numberOr(node.minimum, numberOr(node.exclusiveMinimum, -1) + 1));
      const max = Math.floor(numberOr(node.maximum, numberOr(node.exclusiveMaximum, min + 101) - 1));
      return max < min ? min : random.int(min, max);
    }
    case "number": {
      const min = numberOr(node.minimum, numberOr(node.exclusiveMinimum, 0));
      const max = numberOr(node.maximum, numberOr(node.exclusiveMaximum, min + 100));
      // Two decimals keep the text short; clamp in case rounding crossed a bound.
      return Math.min(max, Math.max(min, Math.round((min + random.next() * (max - min)) * 100) / 100));
    }
    case "boolean":
      return random.next() < 0.5;
    case "null":
      return null;
    default:
      return sampleString(node, random);
  }
}

function sampleObject(
  node: Schema,
  random: Random,
  root: unknown,
  depth: number,
  hints: SampleHints,
): Record<string, unknown> {
  const properties = (node.properties ?? {}) as Record<string, unknown>;
  const required = new Set(Array.isArray(node.required) ? (node.required as string[]) : []);
  const result: Record<string, unknown> = {};
  for (const [key, propertySchema] of Object.entries(properties)) {
    // Optional properties appear most of the time, as a model fills them when it can.
    if (required.has(key) || random.next() < 0.7) {
      result[key] = sampleJsonSchema(propertySchema, random, root, depth + 1, hints);
    }
  }
  for (const key of required) {
    if (!(key in result)) result[key] = "value";
  }
  return result;
}

function resolveRef(ref: string, root: unknown): unknown {
  if (!ref.startsWith("#")) return {};
  let node: unknown = root;
  for (const part of ref.slice(1).split("/").filter(Boolean)) {
    node =
      typeof node === "object" && node !== null
        ? (node as Schema)[part.replace(/~1/g, "/").replace(/~0/g, "~")]
        : undefined;
  }
  return node ?? {};
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}
