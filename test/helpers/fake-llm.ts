/**
 * A recording fake LlmClient for unit tests: replies come from a function of the request.
 */
import type { ChatRequest, ChatResult, LlmClient } from "../../sdk/llm/llm-client.js";

export class FakeLlm implements LlmClient {
  readonly requests: ChatRequest[] = [];
  closed = 0;
  constructor(
    private readonly reply: (
      request: ChatRequest,
      index: number,
    ) => Partial<ChatResult> | Promise<Partial<ChatResult>> = () => ({}),
  ) {}
  async chat(request: ChatRequest): Promise<ChatResult> {
    const index = this.requests.push(request) - 1;
    const partial = await this.reply(request, index);
    return {
      content: `reply ${index}`,
      finishReason: "stop",
      usage: { promptTokens: 10, completionTokens: 5 },
      model: request.model ?? "fake",
      endpoint: "fake://",
      latencyMs: 1,
      attempts: 1,
      ...partial,
    };
  }
  async close(): Promise<void> {
    this.closed++;
  }
}
