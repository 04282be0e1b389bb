/**
 * Per-task tracing (`options.trace`): each hop appends where its time went (queue wait, handling, LLM
 * calls) and the task's size to `task.trace`, so one task's timeline can be drawn afterwards
 * (`run.trace(id)` in a notebook).
 *
 * Where you are: `agent/`, used by the agent loop only when the run traces: an untraced hop pays
 * nothing. LLM time is measured by giving the hop its own context whose client times every call
 * (the shared context serves many hops at once, so it cannot hold one hop's clock).
 */
import type { Delivery } from "../bus/bus.js";
import type { LlmClient } from "../llm/llm-client.js";
import type { HopTrace, Task } from "../schema/task.js";
import type { AgentContext } from "./agent-context.js";

export interface HopTracer {
  /** The context to hand the handler: its LLM client adds to `llmMs`. */
  ctx: AgentContext;
  /** Appends this hop's entry to the task (call once, before the task is published on). */
  record(task: Task, handleMs: number): void;
}

export function traceHop(ctx: AgentContext, delivery: Delivery, started: number): HopTracer {
  let llmMs = 0;
  let llmCalls = 0;
  const inner = ctx.llm;
  const llm: LlmClient | undefined = inner && {
    chat: async (request) => {
      const start = performance.now();
      try {
        return await inner.chat(request);
      } finally {
        llmMs += performance.now() - start;
        llmCalls++;
      }
    },
    close: () => inner.close(),
  };
  // Measured on arrival, before the hop adds to the task.
  const bytes = delivery.bytes ?? Buffer.byteLength(JSON.stringify(delivery.task));
  return {
    ctx: { ...ctx, llm },
    record(task, handleMs) {
      const entry: HopTrace = {
        role: ctx.role,
        agent: ctx.agent,
        start: started,
        queueMs: Math.max(0, started - delivery.publishedAt),
        handleMs,
        llmMs: Math.round(llmMs * 10) / 10,
        llmCalls,
        bytes,
      };
      (task.trace ??= []).push(entry);
    },
  };
}
