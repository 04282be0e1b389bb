/**
 * The fluent, immutable pipeline builder.
 *
 * Where you are: `pipeline/`, which composes everything below it. Every method returns a new
 * Pipeline through one choke point (`derive`), so re-running a notebook cell never registers a role
 * twice; the definition underneath is plain JSON (`toJSON`), and `run()` executes it.
 *
 * @example
 * const p = pipeline("qa")
 *   .chat("teacher", { prompt: "Ask a question about {{row.topic}}." })
 *   .chat("student", { system: "Answer briefly." })
 *   .conversation({ roles: ["teacher", "student"], maxTurns: 4 });
 * const run = p.run({ source: [{ id: "1", topic: "tides" }] });
 * const summary = await run.done();
 */
import { z } from "zod";
import { PipelineDefinitionError } from "../errors.js";
import { toFunctionSource } from "../flow/function-source.js";
import { toJsonSchema } from "../schema/json-schema.js";
import { validateJsonSchema } from "../llm/json-schema-validator.js";
import { formatIssuePath } from "../schema/issue-path.js";
import type { DedupSettingsDefinition, QualityCheck } from "../schema/quality-definition.js";
import {
  DedupRoleSchema,
  MODULE_NAME,
  QualityRoleSchema,
  type ChatRoleDefinition,
  type FlowDefinition,
  type MetricDefinition,
  type PipelineDefinition,
  type PipelineOptions,
  type RoleDefinition,
  type SourceDefinition,
} from "../schema/pipeline-definition.js";
import type { Task } from "../schema/task.js";
import type { AgentContext } from "../agent/agent-context.js";
import type { TaskUpdate } from "../agent/task-update.js";
import type { ChatMessage } from "../llm/llm-client.js";
import type { Run } from "../driver/run.js";
import type { RecordFormat } from "../driver/record-formats.js";
import { fileSource } from "../driver/source.js";
import type { MetricContext } from "../driver/summary-metrics.js";
import { parseDefinition } from "./definition.js";
import { exportPipeline } from "./export-script.js";
import { runPipeline, type RunOptions } from "./run-pipeline.js";

type Awaitable<T> = T | Promise<T>;
export type CodeFn = (task: Task, ctx: AgentContext) => Awaitable<TaskUpdate | void>;
export type PredicateFn = (task: Task, ctx: AgentContext) => Awaitable<boolean | string>;
export type PromptFn = (task: Task, ctx: AgentContext) => Awaitable<string | ChatMessage[]>;
export type StopFn = (task: Task, ctx: AgentContext) => Awaitable<boolean | string | null | undefined>;
export type ExtraBodyFn = (task: Task, ctx: AgentContext) => Awaitable<Record<string, unknown> | undefined>;
export type RouteFn = (task: Task, justRan: string, ctx: AgentContext) => Awaitable<string | null | undefined>;

/** A zod schema or a JSON Schema with a name, for structured replies. */
export type OutputSchema = z.ZodType | { name: string; schema: Record<string, unknown> };

export interface ChatRoleOptions {
  system?: string;
  prompt?: string | PromptFn;
  model?: string;
  temperature?: number;
  maxTokens?: number;
  /** A zod schema (converted with z.toJSONSchema) the reply must match. */
  output?: OutputSchema;
  saveAs?: string;
  /** Tools the model may call (`tool({ name, parameters: zodSchema, run })`); those with `run` are executed by the role's tool loop. */
  tools?: ChatRoleDefinition["tools"];
  /** The tool loop's limits: `maxSteps` tool rounds per answer (@default 16); `stop(task, ctx)` checked after each round. */
  toolLoop?: { maxSteps?: number; stop?: StopFn };
  view?: "conversation" | "none";
  /** Append the reply to the history (judges default to false: the verdict goes to state). */
  appendTurn?: boolean;
  sticky?: boolean;
  /** Stream the reply, so the turn (`timing.ttftMs`) and the metrics record the time to first token. @default false */
  stream?: boolean;
  /** Extra request-body fields: an object, or `(task, ctx) => object | undefined` per task (no captured variables). */
  extraBody?: Record<string, unknown> | ExtraBodyFn;
  concurrency?: number;
  description?: string;
}

/**
 * A summary metric over finished tasks: `accumulate` runs once per finished task (done, filtered and
 * failed alike; check `task.status`) and returns the next accumulator (or mutates it and returns
 * nothing); `result` turns it into the JSON value in `summary.metrics.<name>`. Functions travel as
 * source text, like every inline function. Or name a module export with the same members.
 */
export type MetricSpec<A = any> =
  | {
      /** The starting accumulator: JSON, copied for each run. @default {} */
      initial?: A;
      accumulate: (acc: A, task: Task, ctx: MetricContext) => A | void;
      /** @default the accumulator itself */
      result?: (acc: A, ctx: MetricContext) => unknown;
    }
  | { module: string; export?: string };

export interface RoleOptions {
  concurrency?: number;
  description?: string;
}

function outputSchema(role: string, output: OutputSchema): { name: string; schema: Record<string, unknown> } {
  return output instanceof z.ZodType ? { name: role, schema: toJsonSchema(output, `roles.${role}.output`) } : output;
}

/** A quality check as the builder takes it: a schema check may give a zod schema. */
export type QualityCheckInput =
  | Exclude<QualityCheck, { type: "schema" }>
  | (Omit<Extract<QualityCheck, { type: "schema" }>, "schema"> & { schema: OutputSchema });

export type LanguageFilterOptions = Omit<Extract<QualityCheck, { type: "language" }>, "type"> & RoleOptions;
export type LengthFilterOptions = Omit<Extract<QualityCheck, { type: "length" }>, "type"> & RoleOptions;
export type RepetitionFilterOptions = Omit<Extract<QualityCheck, { type: "repetition" }>, "type"> & RoleOptions;
export type SchemaFilterOptions = { field?: string; schema: OutputSchema } & RoleOptions;
export type DedupRoleOptions = DedupSettingsDefinition & RoleOptions;

/** A quality or dedup role checked when it is built, so a mistake shows in the cell that made it. */
function checkedRole(role: string, schema: z.ZodType, value: unknown): RoleDefinition {
  const result = schema.safeParse(value);
  if (result.success) return result.data as RoleDefinition;
  const issue = result.error.issues[0]!;
  const at = formatIssuePath(issue.path);
  throw new PipelineDefinitionError(`roles.${role}${at ? (at.startsWith("[") ? at : `.${at}`) : ""}`, issue.message);
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

export class Pipeline {
  readonly definition: Readonly<PipelineDefinition>;

  private constructor(definition: PipelineDefinition) {
    this.definition = Object.freeze(definition);
  }

  /** Creates an empty pipeline. Prefer the `pipeline(name)` function. */
  static create(name: string): Pipeline {
    return new Pipeline({ format: "matrix-pipeline/1", name, params: {}, roles: {}, options: {} });
  }

  /** Loads a definition (e.g. from `toJSON()` or a file), checking it; errors name the field path. */
  static fromJSON(value: unknown): Pipeline {
    if (typeof value !== "string") return new Pipeline(parseDefinition(value));
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch (error) {
      throw new PipelineDefinitionError("", `the text is not valid JSON (${(error as Error).message})`, {
        cause: error,
      });
    }
    return new Pipeline(parseDefinition(parsed));
  }

  /** The one choke point every builder method goes through. */
  private derive(change: Partial<PipelineDefinition>): Pipeline {
    return new Pipeline({ ...this.definition, ...change });
  }

  private withRole(name: string, role: RoleDefinition): Pipeline {
    return this.derive({ roles: { ...this.definition.roles, [name]: withoutUndefined(role) } });
  }

  get name(): string {
    return this.definition.name;
  }

  /** Values inline functions read as `ctx.params` (functions cannot capture variables). Merged. */
  params(values: Record<string, unknown>): Pipeline {
    return this.derive({ params: { ...this.definition.params, ...JSON.parse(JSON.stringify(values)) } });
  }

  /**
   * Code too large for an inline function: the file at `path` (TS or JS, relative to the working
   * directory of the process that runs the pipeline) is bundled and loaded, on remote workers too,
   * and functions call it as `ctx.modules.<name>`. npm imports resolve where it runs.
   */
  module(name: string, path: string): Pipeline {
    if (!MODULE_NAME.test(name))
      throw new PipelineDefinitionError(
        `modules.${name}`,
        "a module name is a JavaScript identifier (functions write ctx.modules.<name>)",
      );
    if (typeof path !== "string" || path.length === 0)
      throw new PipelineDefinitionError(`modules.${name}`, "the module path is empty");
    return this.derive({ modules: { ...this.definition.modules, [name]: { path } } });
  }

  /**
   * A file path (by extension: JSONL, also `.zst`/`.gz`; CSV; Parquet), or rows inline. `format` maps a
   * public dataset's records to rows (`mmlu-pro`, `dclm`). Runtime sources (tables, iterables) go to `run()`.
   */
  source(
    source: string | SourceDefinition | Record<string, unknown>[],
    options: { format?: RecordFormat } = {},
  ): Pipeline {
    const definition: SourceDefinition = Array.isArray(source)
      ? { kind: "rows", rows: source }
      : typeof source === "string"
        ? fileSource(source, options.format)
        : source;
    return this.derive({ source: definition });
  }

  /** A role that runs a pure function of the task. */
  code(role: string, fn: CodeFn, options: RoleOptions = {}): Pipeline {
    return this.withRole(role, { kind: "code", fn: toFunctionSource(fn, `roles.${role}.fn`), ...options });
  }

  /** A role that keeps a task when `predicate` is true, else ends it as filtered (a string is the reason). */
  filter(role: string, predicate: PredicateFn, options: RoleOptions & { reason?: string } = {}): Pipeline {
    return this.withRole(role, { kind: "filter", fn: toFunctionSource(predicate, `roles.${role}.fn`), ...options });
  }

  /** A role that makes one LLM call per hop. */
  chat(role: string, options: ChatRoleOptions = {}): Pipeline {
    const { prompt, output, toolLoop, extraBody, ...rest } = options;
    return this.withRole(role, {
      kind: "chat",
      ...rest,
      prompt: typeof prompt === "function" ? toFunctionSource(prompt, `roles.${role}.prompt`) : prompt,
      extraBody:
        typeof extraBody === "function"
          ? toFunctionSource(extraBody, `roles.${role}.extraBody`)
          : extraBody === undefined
            ? undefined
            : JSON.parse(JSON.stringify(extraBody)),
      output: output === undefined ? undefined : outputSchema(role, output),
      toolLoop:
        toolLoop === undefined
          ? undefined
          : withoutUndefined({
              maxSteps: toolLoop.maxSteps,
              stop: toolLoop.stop ? toFunctionSource(toolLoop.stop, `roles.${role}.toolLoop.stop`) : undefined,
            }),
    });
  }

  /** A chat role whose reply must match `schema`; the parsed value is saved as `state[saveAs ?? role]`. */
  judge(role: string, options: Omit<ChatRoleOptions, "output"> & { schema: OutputSchema }): Pipeline {
    const { schema, ...rest } = options;
    return this.chat(role, { temperature: 0, saveAs: role, appendTurn: false, ...rest, output: schema });
  }

  /**
   * A role that runs quality checks in order (language, length, repetition, schema validity); the
   * first that fails ends the task as filtered with its reason (`language:de`, `too-short`,
   * `repetitive`, `schema-invalid`, ...). What was measured goes to `state[role]`.
   */
  quality(role: string, checks: QualityCheckInput | QualityCheckInput[], options: RoleOptions = {}): Pipeline {
    const list = (Array.isArray(checks) ? checks : [checks]).map((check, index) => {
      if (check.type !== "schema") return withoutUndefined(check);
      const schema = outputSchema(`${role}.checks[${index}]`, check.schema).schema;
      try {
        validateJsonSchema(schema, null); // compiles it: a schema no value can satisfy fails here, not per task
      } catch (error) {
        throw new PipelineDefinitionError(`roles.${role}.checks[${index}].schema`, (error as Error).message, {
          cause: error,
        });
      }
      return withoutUndefined({ ...check, schema });
    });
    return this.withRole(role, checkedRole(role, QualityRoleSchema, { kind: "quality", checks: list, ...options }));
  }

  /** Keeps tasks whose field (default: the last turn) is in one of `languages` (ISO 639-1). */
  filterLanguage(role: string, options: LanguageFilterOptions): Pipeline {
    const { concurrency, description, ...check } = options;
    return this.quality(role, { type: "language", ...check }, { concurrency, description });
  }

  /** Keeps tasks whose field has `min`..`max` characters (or words with `unit: "words"`). */
  filterLength(role: string, options: LengthFilterOptions): Pipeline {
    const { concurrency, description, ...check } = options;
    return this.quality(role, { type: "length", ...check }, { concurrency, description });
  }

  /** Drops tasks whose field repeats its word n-grams more than `maxRatio` (default n 3, ratio 0.2). */
  filterRepetition(role: string, options: RepetitionFilterOptions = {}): Pipeline {
    const { concurrency, description, ...check } = options;
    return this.quality(role, { type: "repetition", ...check }, { concurrency, description });
  }

  /** Keeps tasks whose field (JSON text, or structured data) matches a zod schema or JSON Schema. */
  filterSchema(role: string, options: SchemaFilterOptions): Pipeline {
    const { concurrency, description, ...check } = options;
    return this.quality(role, { type: "schema", ...check }, { concurrency, description });
  }

  /**
   * A role that drops a task whose field (default: the last turn) duplicates one already kept in the
   * run: `method: "exact"` (normalised text) or `"minhash"` (estimated Jaccard ≥ `threshold`, default
   * 0.8). Across NATS workers the index is shared, so each duplicate is dropped exactly once.
   */
  dedup(role: string, options: DedupRoleOptions = {}): Pipeline {
    return this.withRole(role, checkedRole(role, DedupRoleSchema, { kind: "dedup", ...withoutUndefined(options) }));
  }

  /** Runs roles once each, in order. */
  sequence(...roles: string[]): Pipeline {
    return this.derive({ flow: { kind: "sequence", roles } });
  }

  /** Speakers alternate until `stop` holds or `maxTurns` speaker turns. */
  conversation(options: {
    roles: string[];
    maxTurns: number;
    stop?: StopFn;
    after?: string[];
    then?: string[];
  }): Pipeline {
    const flow: FlowDefinition = withoutUndefined({
      kind: "conversation" as const,
      roles: options.roles,
      maxTurns: options.maxTurns,
      after: options.after,
      then: options.then,
      stop: options.stop ? toFunctionSource(options.stop, "flow.stop") : undefined,
    });
    return this.derive({ flow });
  }

  /** Nodes and conditional edges; `to: "_end"` ends the task. */
  graph(
    entry: string,
    edges: Array<{ from: string; to: string; when?: (task: Task, ctx: AgentContext) => unknown }>,
  ): Pipeline {
    return this.derive({
      flow: {
        kind: "graph",
        entry,
        edges: edges.map((edge, index) =>
          withoutUndefined({
            from: edge.from,
            to: edge.to,
            when: edge.when ? toFunctionSource(edge.when, `flow.edges[${index}].when`) : undefined,
          }),
        ),
      },
    });
  }

  /** A custom router: `(task, justRan, ctx) => nextRole | null`. */
  router(entry: string, route: RouteFn): Pipeline {
    return this.derive({ flow: { kind: "router", entry, route: toFunctionSource(route, "flow.route") } });
  }

  /**
   * A summary metric computed from finished tasks where the sink is (this process, also for NATS runs),
   * written to `summary.json` and `run.done()` as `metrics.<name>`. On resume it covers every task of
   * the output directory (`metricsScope` says how many came from earlier runs). Replaces a metric of
   * the same name.
   */
  metric<A>(name: string, spec: MetricSpec<A>): Pipeline {
    const where = `metrics.${name}`;
    if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(name))
      throw new PipelineDefinitionError(where, "a metric name starts with a letter and holds letters, digits, _ or -");
    let metric: MetricDefinition;
    if ("module" in spec) {
      metric = withoutUndefined({ module: spec.module, export: spec.export });
    } else {
      if (typeof spec.accumulate !== "function")
        throw new PipelineDefinitionError(
          `${where}.accumulate`,
          "accumulate must be a function (acc, task, ctx) => acc",
        );
      metric = withoutUndefined({
        initial: spec.initial === undefined ? undefined : JSON.parse(JSON.stringify(spec.initial)),
        accumulate: toFunctionSource(spec.accumulate, `${where}.accumulate`),
        result: spec.result ? toFunctionSource(spec.result, `${where}.result`) : undefined,
      });
    }
    return this.derive({ metrics: { ...this.definition.metrics, [name]: metric } });
  }

  /** Run options stored with the definition (in-flight bound, trials, seed, ...). Merged. */
  options(options: PipelineOptions): Pipeline {
    return this.derive({ options: { ...this.definition.options, ...withoutUndefined(options) } });
  }

  /** Checks the definition now rather than at `run()`. Returns this pipeline. */
  validate(): Pipeline {
    parseDefinition(this.definition);
    return this;
  }

  /** The plain JSON definition: print it, save it, send it to workers. */
  toJSON(): PipelineDefinition {
    return JSON.parse(JSON.stringify(this.definition)) as PipelineDefinition;
  }

  /** Writes a script (`.ts`/`.js`) or definition (`.json`) that `npx matrix run <path>` runs; returns the absolute path. */
  export(path: string): string {
    return exportPipeline(parseDefinition(this.definition), path);
  }

  /** Starts the pipeline; returns the run handle at once. */
  run(options: RunOptions = {}): Run {
    return runPipeline(parseDefinition(this.definition), options);
  }
}

/** Starts a new pipeline definition. */
export function pipeline(name: string): Pipeline {
  return Pipeline.create(name);
}
