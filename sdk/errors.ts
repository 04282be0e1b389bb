/**
 * Named error classes for everything the SDK reports to a user.
 *
 * Where you are: the root of the dependency graph. This file imports nothing of ours; every other
 * folder may import it. Add a class here when a new failure needs its own name; give it structured
 * fields (where it happened) rather than packing them into the message only.
 *
 * `isInstance` checks a `Symbol.for` marker instead of `instanceof`, so it still works when a
 * notebook re-imports a module and two copies of a class exist (style-anchors §6.8).
 */

const MARKER = Symbol.for("matrix-ts.error");

export interface MatrixErrorOptions {
  cause?: unknown;
  /** Whether trying the same thing again may succeed (a 429, a timeout). @default false */
  isRetryable?: boolean;
}

/** The base of every error the SDK throws on purpose. */
export class MatrixError extends Error {
  readonly [MARKER] = true;
  /** A stable machine-readable code, e.g. `pipeline-definition`. */
  readonly code: string;
  readonly isRetryable: boolean;

  constructor(code: string, message: string, options: MatrixErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.isRetryable = options.isRetryable ?? false;
  }

  static isInstance(error: unknown): error is MatrixError {
    return typeof error === "object" && error !== null && (error as Record<symbol, unknown>)[MARKER] === true;
  }

  /** A JSON-safe description, used when an error travels inside a task or into a dead letter. */
  toJSON(): SerializedError {
    return serializeError(this);
  }
}

/** The JSON shape of an error inside a task, a turn or a dead letter. */
export interface SerializedError {
  name: string;
  code?: string;
  message: string;
  retryable?: boolean;
  role?: string;
  details?: Record<string, unknown>;
}

/** A pipeline definition (built or loaded from JSON) is invalid; `path` says where. */
export class PipelineDefinitionError extends MatrixError {
  readonly path: string;
  constructor(path: string, message: string, options?: MatrixErrorOptions) {
    super("pipeline-definition", `Invalid pipeline at ${path || "<root>"}: ${message}`, options);
    this.path = path;
  }
}

/** An inline function refers to a variable outside itself, so it could not run on another machine. */
export class CapturedVariableError extends MatrixError {
  readonly variable: string;
  readonly where: string;
  constructor(where: string, variable: string) {
    super(
      "captured-variable",
      `The function for ${where} uses the outer variable '${variable}'. Functions in a pipeline travel as ` +
        `source text and cannot capture variables: declare it with .params({ ${variable} }) and read ` +
        `ctx.params.${variable} instead; for code, put it in a module (.module("name", "./file.ts")) and call ` +
        `ctx.modules.name.`,
    );
    this.variable = variable;
    this.where = where;
  }
}

/** A pipeline module (`.module(name, path)`) threw while it was being loaded: its top-level code failed. */
export class ModuleLoadError extends MatrixError {
  /** The module's name (`ctx.modules.<name>`). */
  readonly module: string;
  readonly path: string;
  constructor(module: string, path: string, message: string, options?: MatrixErrorOptions) {
    super("module-load", `Module '${module}' (${path}) threw while loading: ${message}`, options);
    this.module = module;
    this.path = path;
  }
}

/** A source row could not be read or parsed; `file` and `line` (or `row`, in a columnar file) say where. */
export class SourceRowError extends MatrixError {
  readonly file?: string;
  readonly line?: number;
  /** The record's position (1-based) in a file without lines, e.g. Parquet. */
  readonly row?: number;
  readonly rowId?: string;
  constructor(
    message: string,
    where: { file?: string; line?: number; row?: number; rowId?: string },
    options?: MatrixErrorOptions,
  ) {
    const at =
      where.line !== undefined ? `line ${where.line}` : where.row !== undefined ? `row ${where.row}` : undefined;
    const place = [where.file, at].filter(Boolean).join(":");
    super("source-row", place ? `${place}: ${message}` : message, options);
    this.file = where.file;
    this.line = where.line;
    this.row = where.row;
    this.rowId = where.rowId;
  }
}

/** The source itself failed (not one row): a stream that broke, a cursor that died. */
export class SourceError extends MatrixError {
  readonly rowsRead: number;
  constructor(message: string, rowsRead: number, options?: MatrixErrorOptions) {
    super("source", `The source failed after ${rowsRead} row(s): ${message}`, options);
    this.rowsRead = rowsRead;
  }
}

/** An agent's handler failed for one task. The task is dead-lettered; the run goes on. */
export class AgentError extends MatrixError {
  readonly role: string;
  readonly taskId: string;
  constructor(role: string, taskId: string, message: string, options?: MatrixErrorOptions) {
    super("agent", `Role '${role}' failed on task ${taskId}: ${message}`, options);
    this.role = role;
    this.taskId = taskId;
  }
}

/** A tau2 domain directory, file or task is invalid: `where` names the file, the task and the field. */
export class TauDataError extends MatrixError {
  readonly where: string;
  constructor(where: string, message: string, options?: MatrixErrorOptions) {
    super("tau-data", `Invalid tau2 data at ${where}: ${message}`, options);
    this.where = where;
  }
}

/** A task message failed its schema (e.g. a corrupt message on the bus). */
export class TaskValidationError extends MatrixError {
  readonly path: string;
  constructor(path: string, message: string, options?: MatrixErrorOptions) {
    super("task-validation", `Invalid task at ${path || "<root>"}: ${message}`, options);
    this.path = path;
  }
}

/** An option passed to a function or CLI command is invalid. */
export class ConfigError extends MatrixError {
  readonly option: string;
  constructor(option: string, message: string, options?: MatrixErrorOptions) {
    super("config", `Option '${option}': ${message}`, options);
    this.option = option;
  }
}

/** An OpenAI-compatible server answered with an error, or could not be reached. */
export class LlmApiError extends MatrixError {
  /** HTTP status, or undefined for connection errors and timeouts. */
  readonly status?: number;
  readonly endpoint: string;
  /** Seconds the server asked us to wait (`retry-after`), when it said. */
  readonly retryAfter?: number;
  constructor(
    endpoint: string,
    message: string,
    fields: { status?: number; retryAfter?: number } & MatrixErrorOptions = {},
  ) {
    super("llm-api", `LLM endpoint ${endpoint}: ${message}`, fields);
    this.status = fields.status;
    this.endpoint = endpoint;
    this.retryAfter = fields.retryAfter;
  }
}

/** The model's reply did not match the requested schema, even after a repair attempt. */
export class StructuredOutputError extends MatrixError {
  readonly issues: string;
  readonly text: string;
  constructor(message: string, fields: { issues: string; text: string }, options?: MatrixErrorOptions) {
    super("structured-output", message, options);
    this.issues = fields.issues;
    this.text = fields.text;
  }
}

/** No endpoint can serve a request (all are out, or none is configured for the model). */
export class NoEndpointError extends MatrixError {
  readonly model: string;
  constructor(model: string, message: string, options?: MatrixErrorOptions) {
    super("no-endpoint", `Model '${model}': ${message}`, options);
    this.model = model;
  }
}

/** A bus (local or NATS) could not do what was asked. */
export class BusError extends MatrixError {
  constructor(message: string, options?: MatrixErrorOptions) {
    super("bus", message, options);
  }
}

/** The run was cancelled before it finished. */
export class RunCancelledError extends MatrixError {
  constructor(message = "The run was cancelled.") {
    super("cancelled", message);
  }
}

/**
 * A summary metric (`.metric(name, ...)`) threw: in `accumulate` (on task `taskId`) or in `result`. The
 * metric stops and the summary reports this error in its place; the run and the other metrics go on.
 */
export class MetricsError extends MatrixError {
  readonly metric: string;
  readonly stage: "accumulate" | "result";
  readonly taskId?: string;
  constructor(
    metric: string,
    stage: "accumulate" | "result",
    message: string,
    fields: { taskId?: string } & MatrixErrorOptions = {},
  ) {
    const on = fields.taskId === undefined ? "" : ` on task ${fields.taskId}`;
    super("metrics", `Metric '${metric}' threw in ${stage}${on}: ${message}`, fields);
    this.metric = metric;
    this.stage = stage;
    this.taskId = fields.taskId;
  }
}

/** Turns anything thrown into the JSON shape stored in tasks and dead letters. */
export function serializeError(error: unknown, role?: string): SerializedError {
  if (MatrixError.isInstance(error)) {
    const details: Record<string, unknown> = {};
    for (const key of ["path", "file", "line", "row", "rowId", "status", "endpoint", "variable", "issues", "field"]) {
      const value = (error as unknown as Record<string, unknown>)[key];
      if (value !== undefined) details[key] = value;
    }
    const roleField = (error as unknown as { role?: unknown }).role;
    return {
      name: error.name,
      code: error.code,
      message: error.message,
      retryable: error.isRetryable,
      role: typeof roleField === "string" ? roleField : role,
      ...(Object.keys(details).length > 0 ? { details } : {}),
    };
  }
  if (error instanceof Error) return { name: error.name, message: error.message, ...(role ? { role } : {}) };
  return { name: "Error", message: String(error), ...(role ? { role } : {}) };
}

/** The NATS server refused our credentials (or demanded some we did not give). The message never holds them. */
export class NatsAuthError extends MatrixError {
  /** The server(s) we tried, without any user:password part. */
  readonly servers: string;
  constructor(servers: string, message: string, options?: MatrixErrorOptions) {
    super("nats-auth", `NATS at ${servers} refused the connection: ${message}`, options);
    this.servers = servers;
  }
}

/** A quality check or dedup could not find its field in a task or record; `field` is the path it was given. */
export class QualityFieldError extends MatrixError {
  readonly field: string;
  constructor(field: string, message: string, options?: MatrixErrorOptions) {
    super("quality-field", `Field '${field}': ${message}`, options);
    this.field = field;
  }
}

/** The sandbox cannot run here: its runtime (bubblewrap, Apptainer) is missing or cannot create namespaces. */
export class SandboxUnavailableError extends MatrixError {
  /** `bwrap` or `apptainer`. */
  readonly backend: string;
  constructor(backend: string, message: string, options?: MatrixErrorOptions) {
    super("sandbox-unavailable", `Sandbox (${backend}): ${message}`, options);
    this.backend = backend;
  }
}

/** A sandbox request is invalid (an unknown language, a file path outside the work directory); `path` says where. */
export class SandboxRequestError extends MatrixError {
  readonly path: string;
  constructor(path: string, message: string, options?: MatrixErrorOptions) {
    super("sandbox-request", `Invalid sandbox request at ${path || "<root>"}: ${message}`, options);
    this.path = path;
  }
}

/** A signing key or trusted key could not be read (missing file, not PEM, not ed25519). */
export class SigningKeyError extends MatrixError {
  /** The file (or "inline PEM") that was wrong. */
  readonly file: string;
  constructor(file: string, message: string, options?: MatrixErrorOptions) {
    super("signing-key", `Key ${file}: ${message}`, options);
    this.file = file;
  }
}
