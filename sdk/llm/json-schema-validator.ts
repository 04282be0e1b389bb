/**
 * A small JSON Schema validator for the subset structured output uses: type, properties, required,
 * additionalProperties (false or a schema), items, enum, const, anyOf/oneOf, minimum/maximum,
 * minItems/maxItems, minLength/maxLength, nullable types (`["string", "null"]`) and local `$ref`s
 * (`#/$defs/...`, as `z.toJSONSchema` emits). Unknown keywords are ignored rather than rejected: a server
 * in strict mode already enforces the grammar, this is the check that it did.
 *
 * Where you are: `llm/`, used by `structured-output.ts`. Pure; returns issues, never throws on bad data.
 */

export type JsonSchema = Record<string, unknown>;

/** Issues as `path: message` strings; empty when the value matches. */
export function validateJsonSchema(schema: JsonSchema, value: unknown): string[] {
  const issues: string[] = [];
  check(schema, value, "$", schema, issues, 0);
  return issues;
}

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function matchesType(expected: string, value: unknown): boolean {
  const actual = typeOf(value);
  if (expected === "number") return actual === "number" || actual === "integer";
  return actual === expected;
}

function resolveRef(root: JsonSchema, ref: string): JsonSchema | undefined {
  if (!ref.startsWith("#")) return undefined;
  let node: unknown = root;
  for (const part of ref.slice(1).split("/").filter(Boolean)) {
    const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
    if (typeof node !== "object" || node === null) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === "object" && node !== null ? (node as JsonSchema) : undefined;
}

function check(schema: JsonSchema, value: unknown, path: string, root: JsonSchema, issues: string[], depth: number) {
  if (depth > 64) {
    issues.push(`${path}: schema nesting too deep`);
    return;
  }
  if (typeof schema.$ref === "string") {
    const target = resolveRef(root, schema.$ref);
    if (!target) issues.push(`${path}: unresolvable $ref ${schema.$ref}`);
    else check(target, value, path, root, issues, depth + 1);
  }
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
    if (!types.some((type) => matchesType(type, value))) {
      issues.push(`${path}: expected ${types.join(" or ")}, got ${typeOf(value)}`);
      return;
    }
  }
  if ("const" in schema && !deepEqual(schema.const, value)) {
    issues.push(`${path}: expected ${JSON.stringify(schema.const)}`);
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((option) => deepEqual(option, value))) {
    issues.push(`${path}: expected one of ${schema.enum.map((option) => JSON.stringify(option)).join(", ")}`);
  }
  for (const keyword of ["anyOf", "oneOf"] as const) {
    const options = schema[keyword];
    if (Array.isArray(options)) {
      const matching = options.filter((option) => validateAgainst(option as JsonSchema, value, root, depth) === 0);
      if (matching.length === 0 || (keyword === "oneOf" && matching.length > 1)) {
        issues.push(`${path}: does not match ${keyword === "anyOf" ? "any" : "exactly one"} of the allowed shapes`);
      }
    }
  }
  if (Array.isArray(schema.allOf)) {
    for (const part of schema.allOf) check(part as JsonSchema, value, path, root, issues, depth + 1);
  }
  if (typeof value === "number") {
    if (typeof schema.minimum === "number" && value < schema.minimum) issues.push(`${path}: below ${schema.minimum}`);
    if (typeof schema.maximum === "number" && value > schema.maximum) issues.push(`${path}: above ${schema.maximum}`);
    if (typeof schema.exclusiveMinimum === "number" && value <= schema.exclusiveMinimum) {
      issues.push(`${path}: must be greater than ${schema.exclusiveMinimum}`);
    }
    if (typeof schema.exclusiveMaximum === "number" && value >= schema.exclusiveMaximum) {
      issues.push(`${path}: must be less than ${schema.exclusiveMaximum}`);
    }
  }
  if (typeof value === "string") {
    if (typeof schema.minLength === "number" && value.length < schema.minLength) {
      issues.push(`${path}: shorter than ${schema.minLength} characters`);
    }
    if (typeof schema.maxLength === "number" && value.length > schema.maxLength) {
      issues.push(`${path}: longer than ${schema.maxLength} characters`);
    }
  }
  if (Array.isArray(value)) {
    if (typeof schema.minItems === "number" && value.length < schema.minItems) {
      issues.push(`${path}: fewer than ${schema.minItems} items`);
    }
    if (typeof schema.maxItems === "number" && value.length > schema.maxItems) {
      issues.push(`${path}: more than ${schema.maxItems} items`);
    }
    if (typeof schema.items === "object" && schema.items !== null && !Array.isArray(schema.items)) {
      value.forEach((item, index) =>
        check(schema.items as JsonSchema, item, `${path}[${index}]`, root, issues, depth + 1),
      );
    }
  }
  if (typeOf(value) === "object") {
    const record = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
    if (Array.isArray(schema.required)) {
      for (const key of schema.required as string[]) {
        if (!(key in record)) issues.push(`${path}.${key}: required property missing`);
      }
    }
    for (const [key, child] of Object.entries(record)) {
      if (key in properties) check(properties[key]!, child, `${path}.${key}`, root, issues, depth + 1);
      else if (schema.additionalProperties === false) issues.push(`${path}.${key}: unexpected property`);
      else if (typeof schema.additionalProperties === "object" && schema.additionalProperties !== null) {
        check(schema.additionalProperties as JsonSchema, child, `${path}.${key}`, root, issues, depth + 1);
      }
    }
  }
}

function validateAgainst(schema: JsonSchema, value: unknown, root: JsonSchema, depth: number): number {
  const issues: string[] = [];
  check(schema, value, "$", root, issues, depth + 1);
  return issues.length;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((key) => deepEqual((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}
