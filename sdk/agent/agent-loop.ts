/**
 * The agent loop: take a task from a role's queue, run the hop, publish the successor, then ack.
 *
 * Where you are: `agent/`. The ack comes only after the successor is durably published, so a worker
 * killed at any moment loses nothing (the bus redelivers; the sink's id check keeps output exactly
 * once). The per-role concurrency limit is the consumer's; the signal stops it.
 */
import type { Logger } from "pino";
import type { Bus, BusConsumer, Delivery } from "../bus/bus.js";
import type { Flow } from "../flow/flow.js";
import type { LlmClient } from "../llm/llm-client.js";
import { defaultSandbox } from "../sandbox/sandbox.js";
import type { SandboxRunner } from "../sandbox/sandbox-request.js";
import type { HopEndEvent } from "../schema/event.js";
import type { Turn } from "../schema/turn.js";
import { inlineContent, type AgentContext } from "./agent-context.js";
import type { AgentMeter } from "./agent-meter.js";
import { runHop, type HopOptions } from "./hop.js";
import { traceHop } from "./hop-trace.js";
import type { Handler } from "./task-update.js";

export interface AgentOptions extends HopOptions {
  bus: Bus;
  role: string;
  handler: Handler;
  flow: Flow;
  /** Tasks of this role handled at once by this instance. */
  concurrency: number;
  /** This instance's name, e.g. `local/teacher` or `worker-3/teacher`. */
  agent: string;
  params: Readonly<Record<string, unknown>>;
  /** The run's loaded modules (`ctx.modules`). @default {} */
  modules?: Readonly<Record<string, unknown>>;
  signal: AbortSignal;
  llm?: LlmClient;
  /** `ctx.sandbox`. @default this process's sandbox (defaultSandbox()) */
  sandbox?: SandboxRunner;
  logger?: Logger;
  /** How offloaded turn content is read (the NATS run's content store); inline by default. */
  content?: (turn: Turn) => Promise<string | null>;
  /** Called after every hop; keep it cheap. */
  onHop?: (event: HopEndEvent) => void;
  /** First retry delay for a handler that threw; doubles each attempt. @default 200 */
  retryDelayMs?: number;
  /** Counts deliveries for metrics (two calls per hop: keep it to counters). */
  meter?: AgentMeter;
  /** Record each hop's timings and size in `task.trace` (agent/hop-trace.ts). @default false */
  trace?: boolean;
}

/** Starts consuming `role`. Stop it with the returned consumer (drains in-flight hops). */
export function startAgent(options: AgentOptions): BusConsumer {
  const { bus, role, handler, flow, signal, onHop, meter, trace, retryDelayMs = 200 } = options;
  const ctx: AgentContext = {
    params: options.params,
    modules: options.modules ?? {},
    role,
    agent: options.agent,
    signal,
    llm: options.llm,
    sandbox: options.sandbox ?? defaultSandbox(),
    logger: options.logger,
    content: options.content ?? inlineContent,
  };
  const handle = async (delivery: Delivery): Promise<void> => {
    const task = delivery.task;
    task.attempt = delivery.deliveryCount;
    const started = Date.now();
    meter?.received();
    const tracer = trace ? traceHop(ctx, delivery, started) : undefined;
    const outcome = await runHop(task, role, handler, flow, tracer?.ctx ?? ctx, options);
    if (outcome.kind === "retry") {
      meter?.settled("retried");
      options.logger?.warn(
        { taskId: task.id, role, attempt: task.attempt, err: outcome.error },
        "hop failed; retrying",
      );
      await delivery.nak(retryDelayMs * 2 ** (delivery.deliveryCount - 1));
      return;
    }
    tracer?.record(task, Date.now() - started);
    // Read before publishing: on the local bus the next agent gets this very object and may change it
    // (fail it, move its cursor, trace its own hop) before this one continues.
    const failed = task.status === "failed";
    const next = task.cursor;
    const bytes = delivery.bytes ?? task.trace?.[task.trace.length - 1]?.bytes;
    try {
      await bus.publish(task.cursor, task);
    } catch (error) {
      // Not published, so not acked: the task comes back on redelivery (or stays for resume).
      options.logger?.error({ taskId: task.id, role, err: error }, "publishing the next hop failed");
      if (tracer) task.trace?.pop();
      meter?.settled("unpublished");
      await delivery.nak(retryDelayMs);
      return;
    }
    await delivery.ack();
    if (!meter && !onHop) return;
    const now = Date.now();
    meter?.settled(failed ? "failed" : "ok", started - delivery.publishedAt, now - started, bytes);
    if (onHop) {
      try {
        onHop({
          type: "hop-end",
          taskId: task.id,
          role,
          queueMs: started - delivery.publishedAt,
          handleMs: now - started,
          promptTokens: outcome.promptTokens,
          completionTokens: outcome.completionTokens,
          model: outcome.model,
          bytes,
          next,
          time: now,
        });
      } catch (error) {
        // The hop is done and acked; a failing observer must not turn it into a lost task.
        options.logger?.error({ err: error, taskId: task.id, role }, "a hop listener threw; ignored");
      }
    }
  };
  return bus.consume(role, handle, { concurrency: options.concurrency });
}
