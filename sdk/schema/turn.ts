/**
 * The turn: one entry of a task's history, written by the agent that handled a hop.
 *
 * Where you are: `schema/` holds the zod contracts, one message per file; nothing here imports other
 * SDK folders. Change a field only together with the code that reads it (agents, sinks, metrics).
 */
import { z } from "zod";

/** A tool call in the OpenAI tools format: `arguments` is the JSON text the model produced. */
export const ToolCallSchema = z.object({
  id: z.string(),
  type: z.literal("function").default("function"),
  function: z.object({ name: z.string(), arguments: z.string() }),
});
export type ToolCall = z.infer<typeof ToolCallSchema>;

export const UsageSchema = z.object({
  promptTokens: z.number().int().nonnegative(),
  completionTokens: z.number().int().nonnegative(),
});
export type Usage = z.infer<typeof UsageSchema>;

export const SerializedErrorSchema = z.object({
  name: z.string(),
  code: z.string().optional(),
  message: z.string(),
  retryable: z.boolean().optional(),
  role: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

/** A reference to offloaded content (NATS bus: the run's content store); see bus/nats/content-store.ts. */
export const ContentRefSchema = z.object({ ref: z.string(), bytes: z.number().int().nonnegative() });
export type ContentRef = z.infer<typeof ContentRefSchema>;

export const TurnSchema = z.object({
  /**
   * The role that produced the turn (e.g. `teacher`). A tool result belongs to the role that called the
   * tool (it is in that role's view of the conversation only) and carries `toolCallId` and `toolName`.
   */
  role: z.string(),
  /** The agent instance (worker id + slot) that ran the hop. */
  agent: z.string(),
  /** The text of the turn; null when it was offloaded (`contentRef`) or the turn has only tool calls. */
  content: z.string().nullable(),
  contentRef: ContentRefSchema.optional(),
  toolCalls: z.array(ToolCallSchema).optional(),
  /** For a tool result: the id of the call it answers. */
  toolCallId: z.string().optional(),
  /** For a tool result: the tool that ran. */
  toolName: z.string().optional(),
  /** For a tool result: false when the call failed (bad arguments, unknown tool, the tool threw); `content` says why. */
  toolOk: z.boolean().optional(),
  /** Structured output (validated) or any data a code agent returned. */
  data: z.unknown().optional(),
  /**
   * For LLM turns: the filled system prompt and opening user message this role was given, so a
   * training example (or an audit of which template produced it) can be rebuilt from the record.
   * Recorded on the role's first turn and again when it changes; a later turn without it had the
   * role's last recorded prompt.
   */
  prompt: z.object({ system: z.string().optional(), user: z.string().optional() }).optional(),
  model: z.string().optional(),
  finishReason: z.string().optional(),
  usage: UsageSchema.optional(),
  timing: z.object({
    start: z.number(),
    end: z.number(),
    /** Time to first token, when streamed. */
    ttftMs: z.number().optional(),
  }),
  error: SerializedErrorSchema.optional(),
});
export type Turn = z.infer<typeof TurnSchema>;
