/**
 * The pipeline definition: the plain JSON a Pipeline builder produces and `run()` executes.
 *
 * Where you are: `schema/`. A definition can be printed, saved, sent over NATS to remote workers and
 * exported to a script, so everything in it is JSON: inline functions travel as their source text
 * (`{ fn: "(task, ctx) => ..." }`), the way arquero serializes table expressions.
 */
import { z } from "zod";
import { RECORD_FORMATS } from "./record-format.js";
import { DedupSettingsSchema, QualityCheckSchema } from "./quality-definition.js";

/** An inline function stored by source text. It may not capture outer variables (see pipeline/function-source). */
export const FunctionSourceSchema = z.object({ fn: z.string().min(1) });
export type FunctionSource = z.infer<typeof FunctionSourceSchema>;

/**
 * A tool a chat role offers: its arguments as JSON Schema (from a zod schema via `tool()`), and `run`,
 * `(args, env, ctx) => result`, stored by source like every inline function.
 */
export const ToolSchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "a tool name holds 1-64 letters, digits, _ or -"),
  description: z.string().optional(),
  parameters: z.record(z.string(), z.unknown()),
  run: FunctionSourceSchema.optional(),
});
export type ToolDefinitionJson = z.infer<typeof ToolSchema>;

export const ToolLoopSchema = z.object({
  /** Tool rounds (a model reply with calls, then their results) in one answer before the loop stops. @default 16 */
  maxSteps: z.number().int().positive().optional(),
  /** `(task, ctx) => boolean | string`, checked after each round: true or a reason stops the loop. */
  stop: FunctionSourceSchema.optional(),
});

const concurrency = z.number().int().positive().max(100_000);

const RoleBase = {
  /** At most this many tasks of this role are handled at once by one agent instance. @default 64 */
  concurrency: concurrency.optional(),
  description: z.string().optional(),
};

/** A pure function of the task: returns a TaskUpdate (state patch, turn, end). */
export const CodeRoleSchema = z.object({ kind: z.literal("code"), fn: FunctionSourceSchema, ...RoleBase });

/** An LLM turn: builds messages from a template or a function, calls the model, appends the reply. */
export const ChatRoleSchema = z.object({
  kind: z.literal("chat"),
  /** System prompt; `{{path}}` placeholders are filled from the task (row.*, state.*, params.*). */
  system: z.string().optional(),
  /** A user-message template, or a function returning a string or a message array. */
  prompt: z.union([z.string(), FunctionSourceSchema]).optional(),
  model: z.string().optional(),
  temperature: z.number().min(0).max(2).optional(),
  maxTokens: z.number().int().positive().optional(),
  /** JSON Schema of a structured reply (from a zod schema via z.toJSONSchema). */
  output: z.object({ name: z.string(), schema: z.record(z.string(), z.unknown()) }).optional(),
  /** Put the parsed structured reply (or the text) into `task.state[saveAs]`. */
  saveAs: z.string().optional(),
  /**
   * Tools offered to the model (OpenAI function format). A tool with `run` is executed by the role's tool
   * loop (see sdk/tools); without one, the model's calls are only recorded in the turn.
   */
  tools: z.array(ToolSchema).optional(),
  /** The tool loop's limits: see ToolLoopSchema. */
  toolLoop: ToolLoopSchema.optional(),
  /** How history is shown to this role: its own turns as assistant, others' as user. @default "conversation" */
  view: z.enum(["conversation", "none"]).optional(),
  /**
   * Append the reply to the history as a turn. Judges default to false: their verdict goes to
   * `state[saveAs]` and stays out of the conversation. @default true
   */
  appendTurn: z.boolean().optional(),
  /** Send a sticky routing key (the task id) so one conversation stays on one replica. @default true */
  sticky: z.boolean().optional(),
  /**
   * Stream the reply (server-sent events): the turn and `matrix_llm_ttft_seconds` get the time to first
   * token. The reply is assembled in full before the role goes on. @default false
   */
  stream: z.boolean().optional(),
  /**
   * Extra fields for the request body (vLLM's `top_k`, `chat_template_kwargs`, OpenAI's `prediction`):
   * an object, or a function `(task, ctx) => object | undefined` for fields that differ per task.
   */
  extraBody: z.union([FunctionSourceSchema, z.record(z.string(), z.unknown())]).optional(),
  ...RoleBase,
});

/** Keeps the task when `(task, ctx) => true`; otherwise ends it as filtered (a returned string is the reason). */
export const FilterRoleSchema = z.object({
  kind: z.literal("filter"),
  fn: FunctionSourceSchema,
  /** Reason recorded when the predicate returns false. @default "filtered-by-<role>" */
  reason: z.string().optional(),
  ...RoleBase,
});

/** Built-in quality checks, in order; the first that fails ends the task as filtered with its reason. */
export const QualityRoleSchema = z.object({
  kind: z.literal("quality"),
  checks: z.array(QualityCheckSchema).min(1),
  ...RoleBase,
});

/** Drops a task whose field duplicates (exactly or nearly) one already kept in the run, on every worker. */
export const DedupRoleSchema = z.object({ kind: z.literal("dedup"), ...DedupSettingsSchema.shape, ...RoleBase });

export const RoleSchema = z.discriminatedUnion("kind", [
  CodeRoleSchema,
  ChatRoleSchema,
  FilterRoleSchema,
  QualityRoleSchema,
  DedupRoleSchema,
]);
export type RoleDefinition = z.infer<typeof RoleSchema>;
export type ChatRoleDefinition = z.infer<typeof ChatRoleSchema>;
export type CodeRoleDefinition = z.infer<typeof CodeRoleSchema>;
export type FilterRoleDefinition = z.infer<typeof FilterRoleSchema>;
export type QualityRoleDefinition = z.infer<typeof QualityRoleSchema>;
export type DedupRoleDefinition = z.infer<typeof DedupRoleSchema>;

const roleName = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]*$/, "a role name starts with a letter and holds letters, digits, _ or -");

export const SequenceFlowSchema = z.object({ kind: z.literal("sequence"), roles: z.array(roleName).min(1) });
export const ConversationFlowSchema = z.object({
  kind: z.literal("conversation"),
  /** Speakers in order; they alternate. */
  roles: z.array(roleName).min(1),
  /** Roles run after every speaker turn (e.g. an answer extractor), before the stop check. */
  after: z.array(roleName).optional(),
  /** Stop after this many speaker turns. */
  maxTurns: z.number().int().positive(),
  /** `(task, ctx) => boolean | string`: true or a reason ends the conversation. */
  stop: FunctionSourceSchema.optional(),
  /** Roles run once when the conversation ends (e.g. a judge). */
  then: z.array(roleName).optional(),
});
export const GraphFlowSchema = z.object({
  kind: z.literal("graph"),
  entry: roleName,
  /** Checked in order after `from` finishes; the first edge whose `when` holds (or has none) is taken. */
  edges: z.array(z.object({ from: roleName, to: z.string().min(1), when: FunctionSourceSchema.optional() })),
});
export const RouterFlowSchema = z.object({
  kind: z.literal("router"),
  entry: roleName,
  /** `(task, ctx) => role | null`: null (or "_end") ends the task. */
  route: FunctionSourceSchema,
});
export const FlowSchema = z.discriminatedUnion("kind", [
  SequenceFlowSchema,
  ConversationFlowSchema,
  GraphFlowSchema,
  RouterFlowSchema,
]);
export type FlowDefinition = z.infer<typeof FlowSchema>;

/**
 * How records of a public dataset become rows (see driver/record-formats): `mmlu-pro` (options list →
 * choices keyed A…, id = question_id), `dclm` (web pages, id = WARC-Record-ID).
 */
export const RecordFormatSchema = z.enum(RECORD_FORMATS);

export const SourceSchema = z.discriminatedUnion("kind", [
  /** JSON Lines; `.zst`/`.zstd` (Zstandard) and `.gz` files are decompressed by extension. */
  z.object({ kind: z.literal("jsonl"), path: z.string().min(1), format: RecordFormatSchema.optional() }),
  z.object({ kind: z.literal("parquet"), path: z.string().min(1), format: RecordFormatSchema.optional() }),
  z.object({ kind: z.literal("csv"), path: z.string().min(1) }),
  /** A JSON file holding an array of row objects (e.g. tau2's tasks.json). */
  z.object({ kind: z.literal("json"), path: z.string().min(1) }),
  z.object({ kind: z.literal("rows"), rows: z.array(z.record(z.string(), z.unknown())) }),
]);
export type SourceDefinition = z.infer<typeof SourceSchema>;

export const PipelineOptionsSchema = z.object({
  /** Tasks in flight at once (fed but not finished). @default 256 */
  maxInFlight: z.number().int().positive().optional(),
  /** Trials per row; each gets its own id and derived seed. @default 1 */
  trials: z.number().int().positive().optional(),
  /** Base seed; trial seeds derive from it and the row id. @default 0 */
  seed: z.number().int().optional(),
  /** Row field holding the id; rows without it get their index. @default "id" */
  idField: z.string().optional(),
  /** A task that makes more hops than this fails (guards against routing loops). @default 1000 */
  maxHops: z.number().int().positive().optional(),
  /** Deliveries of one hop before a handler that keeps throwing fails the task. @default 3 */
  maxAttempts: z.number().int().positive().optional(),
  /** Tasks of one role handled at once by one agent instance, unless the role says otherwise. @default 64 */
  concurrency: z.number().int().positive().optional(),
  /** Default model for chat roles. */
  model: z.string().optional(),
  /** Record each hop's queue wait, handling time, LLM time and message size in `task.trace`. @default false */
  trace: z.boolean().optional(),
});
export type PipelineOptions = z.infer<typeof PipelineOptionsSchema>;

const jsonValue: z.ZodType<unknown> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(jsonValue), z.record(z.string(), jsonValue)]),
);

/**
 * A summary metric over finished tasks (the original's `BaseMetricsAccumulator`): `accumulate(acc, task,
 * ctx)` runs once per finished task (every status) where the sink is, `result(acc, ctx)` turns the
 * accumulator into the value written to `summary.json` under `metrics.<name>`. `initial` is the starting
 * accumulator (JSON, copied per run). Or `module` names a pipeline module whose export `export` (default:
 * the module itself) has the same `initial` / `accumulate` / `result` members.
 */
export const InlineMetricSchema = z.strictObject({
  initial: jsonValue.optional(),
  accumulate: FunctionSourceSchema,
  result: FunctionSourceSchema.optional(),
});
export const ModuleMetricSchema = z.strictObject({
  module: z.string().min(1),
  export: z.string().min(1).optional(),
});
export const MetricSchema = z.union([InlineMetricSchema, ModuleMetricSchema]);
export type MetricDefinition = z.infer<typeof MetricSchema>;

/** A module name is what functions write after `ctx.modules.`, so it must be a JS identifier. */
export const MODULE_NAME = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * A module referenced by path, relative to the working directory of the process that runs the
 * pipeline (the notebook kernel, `matrix run`). Workers never read the path: the driver bundles the
 * file and ships the bundle with the run.
 */
export const ModuleSchema = z.object({ path: z.string().min(1) });

export const PipelineDefinitionSchema = z.object({
  format: z.literal("matrix-pipeline/1"),
  name: z.string().min(1),
  /** Values that inline functions read as `ctx.params` (they may not capture variables). */
  params: z.record(z.string(), jsonValue),
  source: SourceSchema.optional(),
  roles: z.record(roleName, RoleSchema),
  /** Code too large for an inline function: functions call it as `ctx.modules.<name>`. */
  modules: z.record(z.string().regex(MODULE_NAME, "a module name is a JavaScript identifier"), ModuleSchema).optional(),
  flow: FlowSchema.optional(),
  /** Summary metrics computed from finished tasks, written to `summary.json` as `metrics.<name>`. */
  metrics: z.record(roleName, MetricSchema).optional(),
  options: PipelineOptionsSchema,
});
export type PipelineDefinition = z.infer<typeof PipelineDefinitionSchema>;
