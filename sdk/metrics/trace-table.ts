/**
 * One traced task's hops as a table: for each hop, when it waited and ran (ms from the task's
 * creation), for how long, how much of it was LLM time, and the task's size when it arrived.
 *
 * Where you are: `metrics/`. Tasks carry `trace` when the run traces (`run({ trace: true })`);
 * `run.trace(id)` in a notebook draws these rows as a timeline (notebook/trace-view.ts).
 */
import * as aq from "arquero";
import { ConfigError } from "../errors.js";
import type { Task } from "../schema/task.js";

export interface TraceRow {
  hop: number;
  role: string;
  agent: string;
  /** ms from the task's creation to when it was queued for this role. */
  queuedAt: number;
  startedAt: number;
  endedAt: number;
  queueMs: number;
  handleMs: number;
  llmMs: number;
  llmCalls: number;
  bytes: number;
}

export function traceRows(task: Task): TraceRow[] {
  if (!task.trace || task.trace.length === 0)
    throw new ConfigError("trace", `task ${task.id} has no trace: run the pipeline with { trace: true }`);
  const origin = task.timestamps.created;
  return task.trace.map((hop, index) => ({
    hop: index + 1,
    role: hop.role,
    agent: hop.agent,
    queuedAt: hop.start - hop.queueMs - origin,
    startedAt: hop.start - origin,
    endedAt: hop.start + hop.handleMs - origin,
    queueMs: hop.queueMs,
    handleMs: hop.handleMs,
    llmMs: hop.llmMs,
    llmCalls: hop.llmCalls,
    bytes: hop.bytes,
  }));
}

/** The trace of `task` as an arquero table (one row per hop). */
export function traceTable(task: Task): aq.ColumnTable {
  return aq.from(traceRows(task));
}
