/**
 * Translation between our `ChatRequest` / `ChatResult` and the OpenAI chat-completions wire format:
 * messages (assistant tool calls, tool results), tools, `response_format`, and assembling a streamed
 * reply (content and tool calls arrive as deltas; usage in the last chunk).
 *
 * Where you are: `llm/`, the only place that knows the wire shapes besides the `openai` package itself.
 * Pure functions; the pool and the response cache call them.
 */
import type OpenAI from "openai";
import type { ToolCall } from "../schema/turn.js";
import type { ChatMessage, ChatRequest } from "./llm-client.js";

type WireMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type WireBody = OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming;
type WireChunk = OpenAI.Chat.Completions.ChatCompletionChunk;

export function toWireMessage(message: ChatMessage): WireMessage {
  switch (message.role) {
    case "system":
      return { role: "system", content: message.content };
    case "user":
      return { role: "user", content: message.content, ...(message.name ? { name: message.name } : {}) };
    case "assistant":
      return {
        role: "assistant",
        content: message.content,
        ...(message.name ? { name: message.name } : {}),
        ...(message.toolCalls && message.toolCalls.length > 0
          ? {
              tool_calls: message.toolCalls.map((call) => ({
                id: call.id,
                type: "function" as const,
                function: { name: call.function.name, arguments: call.function.arguments },
              })),
            }
          : {}),
      };
    case "tool":
      return { role: "tool", content: message.content, tool_call_id: message.toolCallId };
  }
}

/** The request body without `stream`; the caller adds streaming fields. `model` is the resolved name. */
export function toWireBody(request: ChatRequest, model: string): WireBody {
  const body: Record<string, unknown> = {
    ...(request.extraBody ?? {}),
    model,
    messages: request.messages.map(toWireMessage),
  };
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (request.seed !== undefined) body.seed = request.seed;
  if (request.stop !== undefined) body.stop = request.stop;
  if (request.tools && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      type: "function",
      function: {
        name: tool.name,
        ...(tool.description ? { description: tool.description } : {}),
        parameters: tool.parameters,
      },
    }));
  }
  if (request.responseSchema) {
    body.response_format = {
      type: "json_schema",
      json_schema: { name: request.responseSchema.name, schema: request.responseSchema.schema, strict: true },
    };
  }
  return body as unknown as WireBody;
}

/** What one attempt produced, before structured-output checks. */
export interface WireReply {
  content: string | null;
  toolCalls?: ToolCall[];
  finishReason: string;
  usage?: { promptTokens: number; completionTokens: number };
  model: string;
  ttftMs?: number;
}

/** Thrown when the server's 200 reply is not a usable completion (no choices, cut-off stream). */
export class MalformedReplyError extends Error {}

export function fromWireCompletion(completion: OpenAI.Chat.Completions.ChatCompletion, model: string): WireReply {
  const choice = completion?.choices?.[0];
  if (!choice || typeof choice !== "object" || !choice.message) {
    throw new MalformedReplyError("the reply has no choices");
  }
  const toolCalls = (choice.message.tool_calls ?? [])
    .filter((call): call is OpenAI.Chat.Completions.ChatCompletionMessageFunctionToolCall => call.type === "function")
    .map((call) => ({
      id: call.id,
      type: "function" as const,
      function: { name: call.function.name, arguments: call.function.arguments ?? "" },
    }));
  return {
    content: choice.message.content ?? null,
    ...(toolCalls.length > 0 ? { toolCalls } : {}),
    finishReason: choice.finish_reason ?? "stop",
    ...(completion.usage
      ? {
          usage: {
            promptTokens: completion.usage.prompt_tokens ?? 0,
            completionTokens: completion.usage.completion_tokens ?? 0,
          },
        }
      : {}),
    model: completion.model || model,
  };
}

/** Folds streamed chunks into one reply; `firstTokenAt` marks the first content or tool-call delta. */
export class StreamAssembler {
  #content = "";
  #sawContent = false;
  readonly #toolCalls = new Map<number, { id: string; name: string; arguments: string }>();
  #finishReason: string | undefined;
  #usage: WireReply["usage"];
  #model: string;
  firstTokenAt: number | undefined;

  constructor(model: string) {
    this.#model = model;
  }

  add(chunk: WireChunk, now: number = performance.now()): void {
    if (chunk.model) this.#model = chunk.model;
    if (chunk.usage) {
      this.#usage = {
        promptTokens: chunk.usage.prompt_tokens ?? 0,
        completionTokens: chunk.usage.completion_tokens ?? 0,
      };
    }
    for (const choice of chunk.choices ?? []) {
      if (choice.index !== undefined && choice.index !== 0) continue;
      const delta = choice.delta ?? {};
      if (typeof delta.content === "string" && delta.content.length > 0) {
        this.firstTokenAt ??= now;
        this.#content += delta.content;
        this.#sawContent = true;
      }
      for (const call of delta.tool_calls ?? []) {
        this.firstTokenAt ??= now;
        const entry = this.#toolCalls.get(call.index) ?? { id: "", name: "", arguments: "" };
        if (call.id) entry.id = call.id;
        if (call.function?.name) entry.name += call.function.name;
        if (call.function?.arguments) entry.arguments += call.function.arguments;
        this.#toolCalls.set(call.index, entry);
      }
      if (choice.finish_reason) this.#finishReason = choice.finish_reason;
    }
  }

  /** The assembled reply; a stream that ended without a finish reason was cut off and is retried. */
  finish(): WireReply {
    if (this.#finishReason === undefined) throw new MalformedReplyError("the stream ended without a finish reason");
    const toolCalls = [...this.#toolCalls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, call]) => ({
        id: call.id,
        type: "function" as const,
        function: { name: call.name, arguments: call.arguments },
      }));
    return {
      content: this.#sawContent ? this.#content : null,
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      finishReason: this.#finishReason,
      ...(this.#usage ? { usage: this.#usage } : {}),
      model: this.#model,
    };
  }
}
