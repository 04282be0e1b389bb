/**
 * A tau2 domain: its policy, tasks, tools and a factory of fresh environments. `loadTauDomain(dir)`
 * reads a tau2 domain directory (`db.json`, `tasks.json`, `policy.md`, and `user_db.json` where the
 * domain has user tools); `tauDomain(parts)` builds one from parsed parts (what a worker does with the
 * database a run shipped it).
 *
 * Where you are: `recipes/tau/`, the tau runtime. Tools exist for the domains we reimplemented
 * (`mock`, `retail`); a directory is matched to one by its name unless `name` says otherwise.
 *
 * @example
 * const retail = loadTauDomain("datasets/tau2/retail");
 * const env = retail.environment();
 * env.call("find_user_id_by_email", { email: "noah.brown7922@example.com" }); // { ok: true, value: "noah_brown_6181" }
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { z } from "zod";
import { TauDataError } from "../../errors.js";
import type { JsonObject } from "./database.js";
import { TauEnvironment } from "./environment.js";
import { mockToolkit } from "./mock-tools.js";
import { retailToolkit } from "./retail-tools.js";
import { parseTauTask, type TauTask } from "./task-schema.js";
import type { TauTool, TauToolkit } from "./toolkit.js";

export const TAU_TOOLKITS: Readonly<Record<string, TauToolkit>> = { mock: mockToolkit, retail: retailToolkit };

/** A tool as the model is offered it: name, description and arguments as JSON Schema. */
export interface TauToolDefinition {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

export interface TauDomain {
  name: string;
  policy: string;
  tasks: TauTask[];
  /** The assistant's tools. */
  tools: TauToolDefinition[];
  /** The simulated user's tools (empty for domains without them). */
  userTools: TauToolDefinition[];
  toolkit: TauToolkit;
  /** A fresh copy of the databases, with the domain's tools. */
  environment(): TauEnvironment;
}

export function toolkitFor(name: string): TauToolkit {
  const toolkit = TAU_TOOLKITS[name];
  if (!toolkit) {
    throw new TauDataError(
      name,
      `no tools for the tau2 domain '${name}' (known: ${Object.keys(TAU_TOOLKITS).join(", ")}); pass { name } to pick one`,
    );
  }
  return toolkit;
}

function definition(tool: TauTool): TauToolDefinition {
  const { $schema: _ignored, ...parameters } = z.toJSONSchema(tool.parameters) as Record<string, unknown>;
  return { name: tool.name, description: tool.description, parameters };
}

/** pydantic's defaults on every record of a seed (done once per seed object; idempotent). */
function normalizeSeed(toolkit: TauToolkit, db: JsonObject): void {
  for (const [collection, records] of Object.entries(db)) {
    if (typeof records !== "object" || records === null || Array.isArray(records)) continue;
    for (const record of Object.values(records as Record<string, JsonObject>)) toolkit.normalize(collection, record);
  }
}

export function tauDomain(parts: {
  name: string;
  db: JsonObject;
  userDb?: JsonObject | null;
  policy?: string;
  tasks?: unknown[];
}): TauDomain {
  const toolkit = toolkitFor(parts.name);
  if (typeof parts.db !== "object" || parts.db === null || Array.isArray(parts.db))
    throw new TauDataError(`${parts.name}/db.json`, "the database must be a JSON object");
  if (toolkit.userTools?.length && !parts.userDb)
    throw new TauDataError(`${parts.name}/user_db.json`, "this domain's user tools need a user database");
  normalizeSeed(toolkit, parts.db);
  if (parts.userDb) normalizeSeed(toolkit, parts.userDb);
  const seeds = { db: parts.db, ...(parts.userDb ? { userDb: parts.userDb } : {}) };
  return {
    name: parts.name,
    policy: parts.policy ?? "",
    tasks: (parts.tasks ?? []).map((task, index) => parseTauTask(task, `${parts.name}/tasks.json[${index}]`)),
    tools: toolkit.tools.map(definition),
    userTools: (toolkit.userTools ?? []).map(definition),
    toolkit,
    environment: () => new TauEnvironment(toolkit, seeds),
  };
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new TauDataError(file, `cannot read it as JSON: ${(error as Error).message}`, { cause: error });
  }
}

/** Reads a tau2 domain directory. `name` picks the toolkit when the directory is not named after its domain. */
export function loadTauDomain(dir: string, options: { name?: string } = {}): TauDomain {
  const name = options.name ?? basename(dir.replace(/[/\\]+$/, ""));
  for (const file of ["db.json", "tasks.json", "policy.md"]) {
    if (!existsSync(join(dir, file)))
      throw new TauDataError(
        join(dir, file),
        "missing (a tau2 domain directory holds db.json, tasks.json and policy.md)",
      );
  }
  const tasks = readJson(join(dir, "tasks.json"));
  if (!Array.isArray(tasks)) throw new TauDataError(join(dir, "tasks.json"), "must hold an array of tasks");
  const userDbFile = join(dir, "user_db.json");
  return tauDomain({
    name,
    db: readJson(join(dir, "db.json")) as JsonObject,
    userDb: existsSync(userDbFile) ? (readJson(userDbFile) as JsonObject) : null,
    policy: readFileSync(join(dir, "policy.md"), "utf8"),
    tasks,
  });
}
