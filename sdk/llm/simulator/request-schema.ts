/**
 * The zod schemas of the request bodies the simulator accepts, and the OpenAI-style error they turn into.
 *
 * Where you are: `llm/simulator/`, the boundary check (DESIGN §7). Fields the simulator does not use pass
 * through unchecked (`looseObject`), as a real server ignores sampling knobs it does not know; fields it
 * uses are type-checked so a wrong type gets a 400 with the field path in `param`.
 */
import { z } from "zod";

const ContentPartSchema = z.looseObject({ type: z.string(), text: z.string().optional() });

const MessageSchema = z.looseObject({
  role: z.enum(["system", "developer", "user", "assistant", "tool", "function"]),
  content: z.union([z.string(), z.null(), z.array(ContentPartSchema)]).optional(),
  name: z.string().optional(),
  tool_calls: z
    .array(
      z.looseObject({
        id: z.string().optional(),
        function: z.looseObject({ name: z.string(), arguments: z.string() }),
      }),
    )
    .optional(),
  tool_call_id: z.string().optional(),
});

const ToolSchema = z.looseObject({
  type: z.literal("function"),
  function: z.looseObject({
    name: z.string().min(1),
    description: z.string().optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
  }),
});

const ResponseFormatSchema = z.discriminatedUnion("type", [
  z.looseObject({ type: z.literal("text") }),
  z.looseObject({ type: z.literal("json_object") }),
  z.looseObject({
    type: z.literal("json_schema"),
    json_schema: z.looseObject({ name: z.string().optional(), schema: z.record(z.string(), z.unknown()).optional() }),
  }),
]);

const ToolChoiceSchema = z.union([
  z.enum(["none", "auto", "required"]),
  z.looseObject({ type: z.literal("function"), function: z.object({ name: z.string() }) }),
]);

const commonFields = {
  model: z.string().min(1),
  max_tokens: z.number().int().positive().nullish(),
  seed: z.number().int().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  n: z.literal(1, { error: "the simulator supports n = 1 only" }).nullish(),
};

export const ChatCompletionRequestSchema = z.looseObject({
  ...commonFields,
  messages: z.array(MessageSchema).min(1),
  max_completion_tokens: z.number().int().positive().nullish(),
  tools: z.array(ToolSchema).nullish(),
  tool_choice: ToolChoiceSchema.nullish(),
  response_format: ResponseFormatSchema.nullish(),
  /** OpenAI's predicted outputs: the simulator answers with the predicted content (see reply-plan.ts). */
  prediction: z
    .looseObject({ type: z.literal("content"), content: z.union([z.string(), z.array(ContentPartSchema)]) })
    .nullish(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;
export type ChatMessageBody = z.infer<typeof MessageSchema>;

export const CompletionRequestSchema = z.looseObject({
  ...commonFields,
  prompt: z.union([z.string(), z.array(z.string()).min(1)]),
});
export type CompletionRequest = z.infer<typeof CompletionRequestSchema>;

/** The body of every error reply, as OpenAI sends it. */
export interface OpenAiErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export function errorBody(
  message: string,
  type: string,
  param: string | null = null,
  code: string | null = null,
): OpenAiErrorBody {
  return { error: { message, type, param, code } };
}

/** Turns the first zod issue into an `invalid_request_error` naming the field. */
export function validationErrorBody(error: z.ZodError): OpenAiErrorBody {
  const issue = error.issues[0]!;
  const param = issue.path.map(String).join(".") || null;
  return errorBody(`${param ?? "body"}: ${issue.message}`, "invalid_request_error", param, "invalid_value");
}

/** The text of a message's content, whatever its shape. */
export function messageText(message: ChatMessageBody): string {
  const { content } = message;
  if (typeof content === "string") return content;
  if (Array.isArray(content)) return content.map((part) => part.text ?? "").join("");
  return "";
}
