/**
 * Generates a value that conforms to a JSON Schema, for simulated structured output and tool arguments.
 *
 * Where you are: `llm/simulator/`. Pure; covers the subset models are asked for in practice (object,
 * properties, required, type string|number|integer|boolean|array|null, enum, const, anyOf/oneOf,
 * minimum/maximum, minLength/maxLength, items, minItems/maxItems, local `$ref` into `$defs`). An unknown
 * keyword is ignored rather than failing, because a reply that is mostly right beats a crash.
 */
import type { Random } from "./random.js";

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

/** A JSON value conforming to `schema` (best effort for constructs outside the subset above). */
export function sampleJsonSchema(schema: unknown, random: Random, root: unknown = schema, depth = 0): unknown {
  if (typeof schema !== "object" || schema === null || depth > 12) return null;
  const node = schema as Schema;
  if (typeof node.$ref === "string") return sampleJsonSchema(resolveRef(node.$ref, root), random, root, depth + 1);
  if ("const" in node) return node.const;
  if (Array.isArray(node.enum) && node.enum.length > 0) return random.pick(node.enum);
  const variants = (node.anyOf ?? node.oneOf) as unknown[] | undefined;
  if (Array.isArray(variants) && variants.length > 0) {
    return sampleJsonSchema(random.pick(variants), random, root, depth + 1);
  }
  if (Array.isArray(node.allOf) && node.allOf.length > 0) {
    return sampleJsonSchema(Object.assign({}, ...(node.allOf as Schema[])), random, root, depth + 1);
  }
  let type = node.type;
  if (Array.isArray(type)) type = type.find((entry) => entry !== "null") ?? type[0];
  if (type === undefined) type = node.properties ? "object" : node.items ? "array" : "string";
  switch (type) {
    case "object":
      return sampleObject(node, random, root, depth);
    case "array": {
      const min = numberOr(node.minItems, 0);
      const max = numberOr(node.maxItems, Math.max(min, 3));
      const length = random.int(Math.max(min, Math.min(1, max)), Math.max(min, Math.min(max, min + 3)));
      return Array.from({ length }, () => sampleJsonSchema(node.items ?? {}, random, root, depth + 1));
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

function sampleObject(node: Schema, random: Random, root: unknown, depth: number): Record<string, unknown> {
  const properties = (node.properties ?? {}) as Record<string, unknown>;
  const required = new Set(Array.isArray(node.required) ? (node.required as string[]) : []);
  const result: Record<string, unknown> = {};
  for (const [key, propertySchema] of Object.entries(properties)) {
    // Optional properties appear most of the time, as a model fills them when it can.
    if (required.has(key) || random.next() < 0.7) {
      result[key] = sampleJsonSchema(propertySchema, random, root, depth + 1);
    }
  }
  for (const key of required) {
    if (!(key in result)) result[key] = "value";
  }
  return result;
}

function sampleString(node: Schema, random: Random): string {
  const minLength = numberOr(node.minLength, 0);
  const maxLength = numberOr(node.maxLength, Infinity);
  if (node.format === "date-time") return new Date(Date.UTC(2024, random.int(0, 11), random.int(1, 28))).toISOString();
  if (node.format === "date") return `2024-0${random.int(1, 9)}-1${random.int(0, 9)}`;
  if (node.format === "email") return `${random.pick(WORDS)}@example.com`;
  let text = Array.from({ length: random.int(1, 4) }, () => random.pick(WORDS)).join(" ");
  while (text.length < minLength) text += ` ${random.pick(WORDS)}`;
  return text.slice(0, maxLength);
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
