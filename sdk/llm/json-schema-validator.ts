/**
 * JSON Schema validation of structured replies, on `ajv`: the full draft 2020-12 that `z.toJSONSchema`
 * emits (`$defs`/`$ref`, `allOf`/`anyOf`/`oneOf`, `pattern`, `format` through `ajv-formats`, ...), and
 * 2019-09 or draft-07 when a schema says so in `$schema`. Compiled validators are cached per schema
 * (by identity, then by content), so the hot path is one compiled function call. ajv's errors are turned
 * into `path: what was expected` issues (`$.items[0].id: expected integer, got string`) that a model can act
 * on in the repair request. Unknown keywords and formats are ignored rather than rejected: a server in
 * strict mode already enforces the grammar, this is the check that it did.
 *
 * Where you are: `llm/`, used by `structured-output.ts`. Bad data gives issues, never a throw; a schema
 * that is itself invalid (or of an unsupported dialect) throws `ConfigError`, since no reply can fix that.
 */
import type { Ajv as AjvInstance, ErrorObject, ValidateFunction } from "ajv";
import { Ajv } from "ajv";
import { Ajv2019 } from "ajv/dist/2019.js";
import { Ajv2020 } from "ajv/dist/2020.js";
import formatsModule from "ajv-formats";
import { LRUCache } from "lru-cache";
import { ConfigError } from "../errors.js";

export type JsonSchema = Record<string, unknown>;

// ajv-formats is CommonJS whose function also sits on its own `default`: that property is the function
// both under ESM (default import = module.exports) and under tslab's CommonJS (`__importDefault`).
const addFormats = formatsModule.default;

/** Issues listed before the rest are summed up: a reply wrong everywhere needs no 500-line repair prompt. */
const MAX_ISSUES = 25;

type Dialect = "2020-12" | "2019-09" | "draft-07";
const DIALECTS: Record<string, Dialect> = {
  "https://json-schema.org/draft/2020-12/schema": "2020-12",
  "https://json-schema.org/draft/2019-09/schema": "2019-09",
  "http://json-schema.org/draft-07/schema": "draft-07",
};

/**
 * Patterns are JavaScript regexes (zod emits its RegExp's source): compiled with the `u` flag when they are
 * valid in it (zod's own `\p{...}` patterns need it) and without it otherwise (`\_`, `\-` outside a class).
 */
const regExp = Object.assign(
  (pattern: string, flags: string): RegExp => {
    try {
      return new RegExp(pattern, flags);
    } catch {
      return new RegExp(pattern, flags.replace("u", ""));
    }
  },
  { code: "new RegExp" },
);

const instances = new Map<Dialect, AjvInstance>();
const byIdentity = new WeakMap<object, ValidateFunction>();
// Schemas rebuilt per call (same content, new object) still compile once; ajv forgets an evicted one.
const byContent = new LRUCache<string, ValidateFunction>({
  max: 512,
  dispose: (validate) => {
    for (const ajv of instances.values()) ajv.removeSchema(validate.schema as object);
  },
});

function ajvFor(dialect: Dialect): AjvInstance {
  let ajv = instances.get(dialect);
  if (ajv === undefined) {
    // verbose: errors carry the failing schema and data, which the messages below quote.
    const options = { allErrors: true, strict: false, verbose: true, logger: false as const, code: { regExp } };
    ajv =
      dialect === "2020-12" ? new Ajv2020(options) : dialect === "2019-09" ? new Ajv2019(options) : new Ajv(options);
    addFormats(ajv);
    instances.set(dialect, ajv);
  }
  return ajv;
}

function dialectOf(schema: JsonSchema): Dialect {
  if (schema.$schema === undefined) return "2020-12";
  const uri = String(schema.$schema).replace(/#$/, "");
  const dialect = DIALECTS[uri];
  if (dialect === undefined) {
    throw new ConfigError(
      "responseSchema",
      `JSON Schema dialect '${uri}' is not supported (use draft 2020-12, as z.toJSONSchema emits, 2019-09 or draft-07)`,
    );
  }
  return dialect;
}

function compile(schema: JsonSchema): ValidateFunction {
  const cached = byIdentity.get(schema);
  if (cached) return cached;
  const key = JSON.stringify(schema);
  let validate = byContent.get(key);
  if (validate === undefined) {
    // `$id` registers a schema by name in ajv; two different schemas with one `$id` must not collide.
    const { $id: _id, ...anonymous } = schema;
    try {
      validate = ajvFor(dialectOf(schema)).compile(anonymous);
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw new ConfigError("responseSchema", `the JSON schema is invalid: ${(error as Error).message}`, {
        cause: error,
      });
    }
    byContent.set(key, validate);
  }
  byIdentity.set(schema, validate);
  return validate;
}

/** Issues as `path: message` strings; empty when the value matches. */
export function validateJsonSchema(schema: JsonSchema, value: unknown): string[] {
  const validate = compile(schema);
  if (validate(value)) return [];
  const issues = describeErrors(validate.errors ?? [], value);
  return issues.length > MAX_ISSUES
    ? [...issues.slice(0, MAX_ISSUES), `... and ${issues.length - MAX_ISSUES} more issues`]
    : issues;
}

function describeErrors(errors: ErrorObject[], root: unknown): string[] {
  // A failed anyOf/oneOf also lists why each branch failed; the one "matches none of the shapes" says it
  // better than a list of contradictory branch errors. `if` failures are explained by their `then`/`else`.
  const combinators = errors.filter((error) => error.keyword === "anyOf" || error.keyword === "oneOf");
  const insideCombinator = (error: ErrorObject) =>
    combinators.some((combinator) => combinator !== error && error.schemaPath.startsWith(`${combinator.schemaPath}/`));
  // zod pairs a format with the regex it checks it by; when both fail, "not a valid email" is the clear one.
  const formatFailed = (error: ErrorObject) =>
    errors.some(
      (other) =>
        other.keyword === "format" &&
        other.instancePath === error.instancePath &&
        other.parentSchema === error.parentSchema,
    );
  const issues: string[] = [];
  for (const error of errors) {
    if (error.keyword === "if" || insideCombinator(error)) continue;
    if (error.keyword === "pattern" && formatFailed(error)) continue;
    const issue = describeError(error, root);
    if (!issues.includes(issue)) issues.push(issue);
  }
  return issues;
}

/** Keywords that bound a size or value, worded as what was wrong. */
const BOUNDS: Record<string, (limit: string) => string> = {
  minimum: (limit) => `below ${limit}`,
  maximum: (limit) => `above ${limit}`,
  exclusiveMinimum: (limit) => `must be greater than ${limit}`,
  exclusiveMaximum: (limit) => `must be less than ${limit}`,
  minLength: (limit) => `shorter than ${limit} characters`,
  maxLength: (limit) => `longer than ${limit} characters`,
  minItems: (limit) => `fewer than ${limit} items`,
  maxItems: (limit) => `more than ${limit} items`,
};
// A tuple (prefixItems, or a draft-07 items array) given more items than it has places for.
for (const keyword of ["items", "additionalItems", "unevaluatedItems"]) BOUNDS[keyword] = BOUNDS.maxItems!;

function describeError(error: ErrorObject, root: unknown): string {
  const path = formatPath(error.instancePath, root);
  const params = error.params as Record<string, unknown>;
  const at = (child: string) => `${path}${propertySegment(child)}`;
  const bound = BOUNDS[error.keyword];
  if (bound) return `${path}: ${bound(String(params.limit ?? params.len))}`;
  switch (error.keyword) {
    case "type": {
      const declared = (error.parentSchema as JsonSchema | undefined)?.type ?? params.type;
      const types = Array.isArray(declared) ? declared : String(declared).split(",");
      return `${path}: expected ${types.join(" or ")}, got ${typeOf(error.data)}`;
    }
    case "required":
      return `${at(String(params.missingProperty))}: required property missing`;
    case "additionalProperties":
    case "unevaluatedProperties":
      return `${at(String(params.additionalProperty ?? params.unevaluatedProperty))}: unexpected property`;
    case "const":
      return `${path}: expected ${JSON.stringify(params.allowedValue)}`;
    case "enum":
      return `${path}: expected one of ${(params.allowedValues as unknown[]).map((option) => JSON.stringify(option)).join(", ")}`;
    case "anyOf":
    case "oneOf":
      // oneOf names the branches that passed when more than one did.
      return Array.isArray(params.passingSchemas)
        ? `${path}: matches more than one of the allowed shapes (exactly one expected)`
        : `${path}: does not match any of the allowed shapes`;
    case "pattern":
      return `${path}: does not match the pattern ${String(params.pattern)}`;
    case "format":
      return `${path}: not a valid ${String(params.format)}`;
    default:
      // The rarer keywords (multipleOf, uniqueItems, contains, propertyNames, ...): ajv's own wording.
      return `${path}: ${error.message ?? `fails '${error.keyword}'`}`;
  }
}

/** `/items/0/id` as `$.items[0].id`: an index only where the data there is an array. */
function formatPath(pointer: string, root: unknown): string {
  let path = "$";
  let node = root;
  for (const raw of pointer.split("/").slice(1)) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) {
      path += `[${key}]`;
      node = node[Number(key)];
    } else {
      path += propertySegment(key);
      node = typeof node === "object" && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return path;
}

function propertySegment(key: string): string {
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}
