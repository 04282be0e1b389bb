/**
 * An LlmClient that counts every call of one run into the LLM families of LiveMetrics: outcome,
 * latency, time to first token, tokens and retries, by role, model and endpoint.
 *
 * Where you are: `metrics/`. It wraps the client agents get (`LiveMetrics.llmClient`), so the pool
 * itself needs no metrics code; an LLM call takes milliseconds, so the bookkeeping here is free by
 * comparison. Labels are role names, model names and endpoint labels (base URLs without credentials):
 * never anything from a prompt.
 */
import type { ChatRequest, ChatResult, LlmClient } from "../llm/llm-client.js";
import type { BucketedHistogram } from "./bucketed-histogram.js";
import type { TalliedCounter } from "./tallied-counter.js";

type LlmLabel = "run" | "role" | "model" | "endpoint";

export interface LlmFamilies {
  requests: TalliedCounter<LlmLabel | "outcome">;
  seconds: BucketedHistogram<LlmLabel>;
  ttft: BucketedHistogram<LlmLabel>;
  tokens: TalliedCounter<LlmLabel | "kind">;
  retries: TalliedCounter<LlmLabel>;
}

export class MeteredLlm implements LlmClient {
  constructor(
    private readonly inner: LlmClient,
    private readonly run: string,
    private readonly families: LlmFamilies,
  ) {}

  async chat(request: ChatRequest): Promise<ChatResult> {
    const started = performance.now();
    let result: ChatResult;
    try {
      result = await this.inner.chat(request);
    } catch (error) {
      const failure = error as { endpoint?: unknown; code?: unknown; status?: unknown; name?: unknown };
      const labels = {
        run: this.run,
        role: request.role ?? "",
        model: request.model ?? "",
        endpoint: typeof failure?.endpoint === "string" ? failure.endpoint : "",
      };
      const outcome =
        typeof failure?.status === "number"
          ? `http-${failure.status}`
          : typeof failure?.code === "string"
            ? failure.code
            : String(failure?.name ?? "error");
      this.families.requests.add({ ...labels, outcome });
      this.families.seconds.series(labels).observe((performance.now() - started) / 1000);
      throw error;
    }
    const labels = { run: this.run, role: request.role ?? "", model: result.model, endpoint: result.endpoint };
    this.families.requests.add({ ...labels, outcome: result.attempts === 0 ? "cached" : "ok" });
    this.families.seconds.series(labels).observe(result.latencyMs / 1000);
    if (result.ttftMs !== undefined) this.families.ttft.series(labels).observe(result.ttftMs / 1000);
    this.families.tokens.add({ ...labels, kind: "prompt" }, result.usage.promptTokens);
    this.families.tokens.add({ ...labels, kind: "completion" }, result.usage.completionTokens);
    if (result.attempts > 1) this.families.retries.add(labels, result.attempts - 1);
    return result;
  }

  /** The wrapped client belongs to whoever created it; closing this view closes nothing. */
  async close(): Promise<void> {}
}
