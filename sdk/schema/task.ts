/**
 * The task: the orchestrator message that carries one row's whole state between stateless agents.
 *
 * Where you are: `schema/`. This is the one message every other folder passes around. The finished
 * task is also the output record written by the sink (a superset of the original Matrix record:
 * id, trial, seed, task row, history, status, timestamps).
 *
 * Validation is done at trust boundaries (reading a message from NATS, loading a file), never on
 * the in-process hot path, where a hop must cost microseconds.
 */
import { z } from "zod";
import { ContentRefSchema, SerializedErrorSchema, TurnSchema } from "./turn.js";

export const TaskStatus = {
  running: "running",
  done: "done",
  failed: "failed",
  filtered: "filtered",
} as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

/** The cursor value that sends a task to the sink. */
export const SINK = "_sink";

export const RoleUsageSchema = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
  calls: z.number().int().nonnegative(),
});
export type RoleUsage = z.infer<typeof RoleUsageSchema>;

/** One hop of a traced task (`options.trace`): where its time went and how big it was. */
export const HopTraceSchema = z.object({
  role: z.string(),
  agent: z.string(),
  /** When the agent took the task (ms since epoch). */
  start: z.number(),
  /** Time the task waited in the role's queue before that. */
  queueMs: z.number().nonnegative(),
  /** Time the handler ran (LLM time included). */
  handleMs: z.number().nonnegative(),
  /** Time spent waiting for LLM calls within the hop, and how many were made. */
  llmMs: z.number().nonnegative(),
  llmCalls: z.number().int().nonnegative(),
  /** Size of the task as it arrived (the message on NATS; its JSON on the local bus). */
  bytes: z.number().int().nonnegative(),
});
export type HopTrace = z.infer<typeof HopTraceSchema>;

export const TaskSchema = z.object({
  /** Unique per run: `<rowId>` for one trial, `<rowId>#<trial>` otherwise. The exactly-once key. */
  id: z.string().min(1),
  runId: z.string(),
  rowId: z.string(),
  trial: z.number().int().nonnegative(),
  seed: z.number().int(),
  /** The source row; null when offloaded (`rowRef`). */
  row: z.record(z.string(), z.unknown()).nullable(),
  rowRef: ContentRefSchema.optional(),
  history: z.array(TurnSchema),
  /** Free-form flow and routing state (e.g. `turns`, `agreement`, structured results). */
  state: z.record(z.string(), z.unknown()),
  /** The next role, or `_sink`. */
  cursor: z.string(),
  status: z.enum(["running", "done", "failed", "filtered"]),
  /** Why the task ended (e.g. `max-turns`, `stop-condition`, the filter's reason). */
  reason: z.string().optional(),
  error: SerializedErrorSchema.optional(),
  /** How many times the current hop was delivered (redeliveries after a crash count). */
  attempt: z.number().int().nonnegative(),
  /** Hops completed so far. */
  hops: z.number().int().nonnegative(),
  usage: z.record(z.string(), RoleUsageSchema),
  timestamps: z.object({
    created: z.number(),
    finished: z.number().optional(),
  }),
  /** Per-hop timings and sizes, when the run traces (`options.trace`). */
  trace: z.array(HopTraceSchema).optional(),
  /** How many times this task was taken from the dead letters and re-queued (`retry`). */
  retries: z.number().int().nonnegative().optional(),
  /** For a fork or replay: the id of the task it was made from, and how many of its turns it reuses. */
  forkOf: z.string().optional(),
  fromTurn: z.number().int().nonnegative().optional(),
  /** Turns of the original still to be replayed (a fork consumes them, hop by hop, instead of calling the model). */
  replay: z.array(TurnSchema).optional(),
});
export type Task = z.infer<typeof TaskSchema>;
