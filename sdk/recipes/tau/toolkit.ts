/**
 * What a tau2 domain's tools are made of: each tool has tau2's name, a zod schema of its arguments,
 * its kind (read, write, generic — write tools change the database and are replayed by the evaluator)
 * and an implementation over the copy-on-write database. Helpers (`assert_*`, `add_notification`) are
 * the non-tool functions task files call in `initialization_actions` and `env_assertions`.
 *
 * Where you are: `recipes/tau/`, the tau runtime. mock-tools.ts and retail-tools.ts are the two
 * toolkits; environment.ts runs them.
 */
import type { z } from "zod";
import type { JsonObject, TauDatabase } from "./database.js";

export type TauToolKind = "read" | "write" | "generic";

export interface TauTool {
  name: string;
  description: string;
  parameters: z.ZodObject;
  kind: TauToolKind;
  /** Returns the result (a record, a list, a string) or throws with tau2's error message. */
  run(db: TauDatabase, args: any): unknown;
}

export type TauHelper = (db: TauDatabase, args: any) => unknown;

export interface TauToolkit {
  domain: string;
  /** The assistant's tools. */
  tools: readonly TauTool[];
  /** The user's tools (tau2 "user_tools"), acting on the user database. */
  userTools?: readonly TauTool[];
  helpers?: Readonly<Record<string, TauHelper>>;
  userHelpers?: Readonly<Record<string, TauHelper>>;
  /** Keys whose numbers are floats in tau2's data model (printed `50.0` by Python). */
  floatKeys: ReadonlySet<string>;
  /** pydantic's defaults for a record of a collection (optional fields as null), applied to the seed and to merged records. */
  normalize(collection: string, record: JsonObject): void;
}

/** Python's `ValueError(message)`: the message tau2 sends back as `Error: <message>`. */
export function valueError(message: string): Error {
  return new Error(message);
}

/** The record, or tau2's "X not found" error. */
export function required(db: TauDatabase, collection: string, key: string, message: string): JsonObject {
  const record = db.get(collection, key);
  if (!record) throw valueError(message);
  return record;
}

/**
 * Fills a record's missing fields with their defaults, in the model's field order (pydantic's
 * `model_dump` writes every field, in declaration order, so results and `db()` read the same).
 */
export function withDefaults(record: JsonObject, fields: ReadonlyArray<readonly [string, unknown]>): void {
  if (fields.every(([name]) => name in record)) return;
  const copy = { ...record };
  for (const key of Object.keys(record)) delete record[key];
  for (const [name, fallback] of fields) record[name] = name in copy ? copy[name] : structuredClone(fallback);
  for (const [key, value] of Object.entries(copy)) if (!(key in record)) record[key] = value;
}
