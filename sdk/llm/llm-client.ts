/**
 * The small spec every LLM backend implements: the agents depend on this, never on `openai` itself.
 *
 * Where you are: `llm/`. Only `llm/` imports `openai` (DESIGN §4); `agent/` sees `LlmClient` only.
 * A test can hand an agent any object that satisfies `LlmClient` (a recording fake).
 */
import type { ToolCall } from "../schema/turn.js";

/** A chat message in the OpenAI shape. */
export type ChatMessage =
  | { role: "system"; content: string }
  | { role: "user"; content: string; name?: string }
  | { role: "assistant"; content: string | null; toolCalls?: ToolCall[]; name?: string }
  | { role: "tool"; content: string; toolCallId: string };

/** A tool offered to the model, in the OpenAI tools format. */
export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
}

export interface ChatRequest {
  /** Model name; the pool routes by it. @default the pool's default model */
  model?: string;
  messages: ChatMessage[];
  temperature?: number;
  topP?: number;
  maxTokens?: number;
  seed?: number;
  stop?: string[];
  tools?: ToolDefinition[];
  /** JSON Schema the reply must match (sent as `response_format: json_schema`); validated on return. */
  responseSchema?: { name: string; schema: Record<string, unknown> };
  /** Requests with the same key go to the same endpoint while it is healthy (KV-cache locality). */
  stickyKey?: string;
  /** Stream the reply (to measure time to first token). @default false */
  stream?: boolean;
  /** Accounting label: the role that made the call. */
  role?: string;
  /** Extra fields passed through in the request body (e.g. vLLM's `top_k`). */
  extraBody?: Record<string, unknown>;
  signal?: AbortSignal;
}

export interface ChatResult {
  content: string | null;
  toolCalls?: ToolCall[];
  /** Parsed and validated JSON when `responseSchema` was given. */
  data?: unknown;
  finishReason: string;
  usage: { promptTokens: number; completionTokens: number };
  model: string;
  /** The base URL that served the request. */
  endpoint: string;
  latencyMs: number;
  ttftMs?: number;
  /** How many attempts it took (1 = no retry). */
  attempts: number;
}

export interface LlmClient {
  chat(request: ChatRequest): Promise<ChatResult>;
  /** Releases sockets and timers. Safe to call twice. */
  close(): Promise<void>;
}
