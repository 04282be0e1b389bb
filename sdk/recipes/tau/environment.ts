/**
 * A tau2 environment: a domain's toolkit over a fresh copy of its databases (the assistant's, and the
 * user's where the domain has one). `call(tool, args)` answers synchronously with `{ ok: true, value }`
 * or `{ ok: false, error }`, the message tau2 sends back as `Error: <message>`; `db()` is the current
 * database as plain JSON. It also does what tau2's `Environment.set_state` does for the evaluator:
 * apply a task's initial state and replay the database-changing calls of a conversation.
 *
 * Where you are: `recipes/tau/`, the tau runtime. Values returned by `call` are copies: changing them
 * never changes the environment.
 */
import { TauDataError } from "../../errors.js";
import { TauDatabase, type JsonObject } from "./database.js";
import { pyJsonDumps } from "./python-compat.js";
import type { TauTool, TauToolkit } from "./toolkit.js";

export type Requestor = "assistant" | "user";

export type TauCallResult = { ok: true; value: unknown } | { ok: false; error: string };

/** A function of the toolkit named by a task (`initialization_actions`, `env_assertions`). */
export interface TauFunctionCall {
  env_type?: Requestor;
  func_name: string;
  arguments?: Record<string, unknown>;
  assert_value?: boolean;
  message?: string | null;
}

export interface TauToolCall {
  id: string;
  name: string;
  arguments: Record<string, unknown>;
  requestor: Requestor;
}

/** A message of a tau2 trajectory (our history converted, or a task's `message_history`). */
export type TauMessage =
  | { role: "assistant" | "user"; content: string | null; tool_calls?: TauToolCall[] }
  | { role: "tool"; id: string; content: string; requestor: Requestor; error?: boolean };

export interface TauInitialState {
  initialization_data?: { agent_data?: JsonObject | null; user_data?: JsonObject | null } | null;
  initialization_actions?: TauFunctionCall[] | null;
  message_history?: unknown[] | null;
}

function zodIssues(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  return error.issues
    .map((issue) => (issue.path.length ? `${issue.path.map(String).join(".")}: ${issue.message}` : issue.message))
    .join("; ");
}

export class TauEnvironment {
  readonly agentDb: TauDatabase;
  readonly userDb: TauDatabase | undefined;

  constructor(
    readonly toolkit: TauToolkit,
    seeds: { db: JsonObject; userDb?: JsonObject },
  ) {
    this.agentDb = new TauDatabase(seeds.db);
    this.userDb = seeds.userDb ? new TauDatabase(seeds.userDb) : undefined;
  }

  private toolsOf(requestor: Requestor): readonly TauTool[] {
    return requestor === "user" ? (this.toolkit.userTools ?? []) : this.toolkit.tools;
  }

  private dbOf(requestor: Requestor): TauDatabase {
    if (requestor === "assistant") return this.agentDb;
    if (!this.userDb) throw new Error("User tools not available");
    return this.userDb;
  }

  /** Runs a tool the way tau2's environment answers a tool call. */
  call(name: string, args: unknown, requestor: Requestor = "assistant"): TauCallResult {
    const tool = this.toolsOf(requestor).find((candidate) => candidate.name === name);
    if (!tool) return { ok: false, error: `Tool '${name}' not found.` };
    const parsed = tool.parameters.strict().safeParse(args ?? {});
    if (!parsed.success) return { ok: false, error: `invalid arguments for '${name}': ${zodIssues(parsed.error)}` };
    try {
      return { ok: true, value: structuredClone(tool.run(this.dbOf(requestor), parsed.data)) };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }

  /** The text tau2 sends the caller for a result: `Error: …`, a string as it is, anything else as Python's JSON. */
  content(result: TauCallResult): string {
    if (!result.ok) return `Error: ${result.error}`;
    return typeof result.value === "string" ? result.value : pyJsonDumps(result.value, this.toolkit.floatKeys);
  }

  /** Whether a tool changes the database (tau2 replays only those). */
  isMutating(name: string, requestor: Requestor = "assistant"): boolean {
    return this.toolsOf(requestor).find((tool) => tool.name === name)?.kind === "write";
  }

  /** Calls any function of a toolkit by name (a helper such as `assert_task_status`, or a tool); throws on failure. */
  runFunction(call: TauFunctionCall): unknown {
    const side = call.env_type ?? "assistant";
    const helpers = side === "user" ? this.toolkit.userHelpers : this.toolkit.helpers;
    const helper = helpers?.[call.func_name];
    if (helper) return helper(this.dbOf(side), call.arguments ?? {});
    const result = this.call(call.func_name, call.arguments ?? {}, side);
    if (!result.ok) throw new Error(result.error);
    return result.value;
  }

  /** An `env_assertions` entry: whether the function's boolean equals `assert_value` (default true). */
  assert(assertion: TauFunctionCall): boolean {
    const value = this.runFunction(assertion);
    if (typeof value !== "boolean")
      throw new Error(`Function ${assertion.func_name} returned ${typeof value} instead of bool`);
    return value === (assertion.assert_value ?? true);
  }

  /** Replays the database-changing tool calls of `messages`, in order (an unknown tool changed nothing). */
  replay(messages: readonly TauMessage[]): void {
    for (const message of messages) {
      if (message.role === "tool") continue;
      for (const call of message.tool_calls ?? []) {
        if (this.isMutating(call.name, call.requestor)) this.call(call.name, call.arguments, call.requestor);
      }
    }
  }

  /** A task's `initial_state`: data merged into the databases, then initialization actions, then its message history replayed. */
  applyInitialState(state: TauInitialState | null | undefined, history: readonly TauMessage[] = []): void {
    const data = state?.initialization_data;
    const normalize = (collection: string, record: JsonObject) => this.toolkit.normalize(collection, record);
    if (data?.agent_data) this.agentDb.merge(data.agent_data, normalize);
    if (data?.user_data) this.dbOf("user").merge(data.user_data, normalize);
    for (const [index, action] of (state?.initialization_actions ?? []).entries()) {
      try {
        this.runFunction(action);
      } catch (error) {
        throw new TauDataError(
          `initial_state.initialization_actions[${index}]`,
          `${action.func_name} failed: ${(error as Error).message}`,
        );
      }
    }
    this.replay(history);
  }

  /** The assistant's database as plain JSON. */
  db(): JsonObject {
    return this.agentDb.toJSON();
  }

  /** The user's database as plain JSON, or null when the domain has none. */
  userDbJson(): JsonObject | null {
    return this.userDb?.toJSON() ?? null;
  }

  /** Whether this environment's databases hold what `other`'s do (tau2's DB check). */
  matches(other: TauEnvironment): { agent: boolean; user: boolean } {
    const user = this.userDb && other.userDb ? this.userDb.equals(other.userDb) : this.userDb === other.userDb;
    return { agent: this.agentDb.equals(other.agentDb), user };
  }
}
