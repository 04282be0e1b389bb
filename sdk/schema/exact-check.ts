/**
 * A fast yes/no: is this value already exactly what a zod schema outputs? One compiled ajv function
 * over the schema's JSON Schema (output form: every default present, no key the schema does not name),
 * which reads the value without building a copy of it.
 *
 * Where you are: `schema/`. Why it exists: `TaskSchema.safeParse` builds a new task on every NATS hop,
 * 1.8 µs and a task's worth of garbage for a 250-byte no-op task, about a tenth of a worker's CPU per hop
 * with the collection it causes (bench/nats-bus.ts). Tasks our own processes wrote are already in
 * output form, so a boundary asks this check first and keeps the parsed value when it says yes;
 * anything else (a missing default, an extra key, a wrong type) goes through zod as before, which
 * fills, strips or names the error. A yes must therefore imply that zod accepts the value and returns
 * it unchanged. That holds only for schemas made of plain JSON shapes and checks JSON Schema states
 * exactly, so `exactCheck` walks the schema first and returns undefined (always use zod) when it holds
 * anything else: a refinement, a transform or pipe, a regex or string format, a coercion, a record
 * keyed by anything but a bare string, a union of objects or arrays, a key named like an
 * Object.prototype member, a type with no JSON form. A value with an own `__proto__` key in a record
 * is not in output form either (forbidProtoKeys below).
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import { z } from "zod";

export type ExactCheck = (value: unknown) => boolean;

/** zod types whose JSON Schema form accepts exactly what they accept, and which output their input. */
const PLAIN_TYPES = new Set([
  "object",
  "array",
  "record",
  "nullable",
  "optional",
  "default",
  "union",
  "string",
  "number",
  "boolean",
  "null",
  "enum",
  "literal",
  "unknown",
  "any",
]);

/** Checks that neither change a value nor test more than their JSON Schema keyword does (number_format: see below). */
const PLAIN_CHECKS = new Set([
  "number_format",
  "greater_than",
  "less_than",
  "min_length",
  "max_length",
  "length_equals",
  "min_size",
  "max_size",
]);

/** Union options whose outputs cannot differ from their inputs, whichever branch takes them. */
const SCALAR_TYPES = new Set(["string", "number", "boolean", "null", "enum", "literal"]);

interface ZodCheckDef {
  check: string;
  format?: string;
}

interface ZodInternals {
  _zod: { def: Record<string, unknown> & { type: string; checks?: Array<{ _zod: { def: ZodCheckDef } }> } };
}

function isPlainCheck({ check, format }: ZodCheckDef): boolean {
  // `.int()` is the safe-integer format, which JSON Schema states as an integer within the safe bounds;
  // other formats (float32, int64 as bigint, ...) are left to zod.
  return PLAIN_CHECKS.has(check) && (check !== "number_format" || format === "safeint");
}

/** A bare `z.string()`: no check, format or pattern. */
function isBareString(schema: ZodInternals): boolean {
  const def = schema._zod.def;
  return def.type === "string" && (def.checks ?? []).length === 0 && def.format === undefined && !def.coerce;
}

function isPlain(schema: ZodInternals, seen: Set<unknown>): boolean {
  if (seen.has(schema)) return true;
  seen.add(schema);
  const def = schema._zod.def;
  if (!PLAIN_TYPES.has(def.type)) return false;
  if (def.checks?.some((check) => !isPlainCheck(check._zod.def))) return false;
  // A coercing type outputs what it converted; a string format (z.email(), z.uuid(), ...) is a pattern.
  if (def.coerce === true || def.format !== undefined || def.pattern !== undefined) return false;
  const children: unknown[] = [];
  switch (def.type) {
    case "object":
      // zod reads a shape's keys with `in`, so one named like an Object.prototype member (`constructor`)
      // is "present" on `{}` and comes out as the inherited function.
      if (Object.keys(def.shape as object).some((key) => key in Object.prototype)) return false;
      children.push(...Object.values(def.shape as Record<string, unknown>));
      if (def.catchall !== undefined) children.push(def.catchall);
      break;
    case "array":
      children.push(def.element);
      break;
    case "record":
      // Keyed by an enum or a literal, a record must hold every key (zod's rule, which `propertyNames`
      // does not state); a key type with checks of its own is left to zod as well.
      if (!isBareString(def.keyType as ZodInternals)) return false;
      children.push(def.valueType);
      break;
    case "nullable":
    case "optional":
    case "default":
      children.push(def.innerType);
      break;
    case "union":
      // A union's output is the first branch that accepts; two branches that both accept one value
      // could give different outputs (each strips its own keys), which JSON Schema's anyOf cannot tell.
      // Scalars come out as they went in, whichever branch takes them; objects and arrays may not.
      if ((def.options as ZodInternals[]).some((option) => !SCALAR_TYPES.has(option._zod.def.type))) return false;
      children.push(...(def.options as unknown[]));
      break;
  }
  return children.every((child) => isPlain(child as ZodInternals, seen));
}

/**
 * The check for `schema`, compiled on first use, or undefined when the schema is not plain (see the
 * header): the caller then validates with zod every time.
 */
export function exactCheck(schema: z.ZodType): ExactCheck | undefined {
  if (!isPlain(schema as unknown as ZodInternals, new Set())) return undefined;
  let json: Record<string, unknown>;
  try {
    json = z.toJSONSchema(schema, { io: "output", override: forbidProtoKeys }) as Record<string, unknown>;
  } catch {
    return undefined; // a type with no JSON form (z.literal(undefined), a bigint): zod every time
  }
  let compiled: ExactCheck | undefined;
  return (value) => {
    if (compiled === undefined) {
      try {
        const ajv = new Ajv2020({
          allErrors: false,
          // Strict about numbers (a JSON 1e400 parses to Infinity, which zod rejects); lenient about the
          // schema, whose `default` beside `const` is fine for a check.
          strict: false,
          strictNumbers: true,
          logger: false,
        });
        compiled = ajv.compile(json) as ExactCheck;
      } catch {
        compiled = () => false;
      }
    }
    return compiled(value);
  };
}

/**
 * An own `__proto__` key (JSON.parse makes one from `"__proto__":`) is dropped by zod's records and
 * catch-alls, so a value holding one is not in output form: it goes to zod, which drops it. Kept, it
 * would reach code that indexes by its keys (`usage[role] ??= ...`) and write to Object.prototype.
 */
function forbidProtoKeys({ zodSchema, jsonSchema }: { zodSchema: unknown; jsonSchema: Record<string, unknown> }) {
  const def = (zodSchema as ZodInternals)._zod.def;
  if (def.type === "record" || (def.type === "object" && def.catchall !== undefined)) {
    jsonSchema.propertyNames = { ...(jsonSchema.propertyNames as object | undefined), not: { const: "__proto__" } };
  }
}
