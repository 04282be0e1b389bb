/**
 * `run.trace(id)`: one traced task's timeline in the notebook: per hop, the wait in the role's queue,
 * the handling time and the LLM time within it, with the task's size on arrival in the tooltip.
 *
 * Where you are: `notebook/`. The spec is plain vega-lite with the data inlined (like plot-specs.ts),
 * published as the same MIME bundle as the other plots (vega-render.ts). The rows come from
 * metrics/trace-table.ts; the run must trace (`run({ trace: true })`).
 */
import type { Run } from "../driver/run.js";
import { ConfigError } from "../errors.js";
import { traceRows } from "../metrics/trace-table.js";
import type { Task } from "../schema/task.js";
import { publish, type MimeBundle } from "./mime-bundle.js";
import { plotBundle, type VegaLiteSpec } from "./vega-render.js";

/** The timeline spec of one traced task. */
export function traceSpec(task: Task): VegaLiteSpec {
  const rows = traceRows(task);
  const label = (row: { hop: number; role: string }) => `${String(row.hop).padStart(2, "0")} ${row.role}`;
  const values = rows.flatMap((row) => {
    const common = { hop: label(row), agent: row.agent, bytes: row.bytes, llmCalls: row.llmCalls };
    return [
      { ...common, phase: "queue wait", from: row.queuedAt, to: row.startedAt, ms: row.queueMs },
      { ...common, phase: "handling", from: row.startedAt, to: row.endedAt, ms: row.handleMs },
      ...(row.llmMs > 0
        ? [{ ...common, phase: "LLM", from: row.startedAt, to: row.startedAt + row.llmMs, ms: row.llmMs }]
        : []),
    ];
  });
  return {
    title: `Task ${task.id}: ${rows.length} hops, ${((task.timestamps.finished ?? Date.now()) - task.timestamps.created).toFixed(0)} ms`,
    width: 520,
    height: Math.max(80, rows.length * 22),
    data: { values },
    mark: { type: "bar", height: { band: 0.7 } },
    encoding: {
      y: { field: "hop", type: "nominal", sort: null, title: null },
      x: { field: "from", type: "quantitative", title: "ms since the task was created" },
      x2: { field: "to" },
      color: {
        field: "phase",
        type: "nominal",
        scale: { domain: ["queue wait", "handling", "LLM"], range: ["#c6dbef", "#6baed6", "#fd8d3c"] },
        title: null,
      },
      tooltip: [
        { field: "hop", title: "hop" },
        { field: "phase" },
        { field: "ms", format: ".1f" },
        { field: "llmCalls", title: "LLM calls" },
        { field: "bytes", title: "task bytes on arrival" },
        { field: "agent" },
      ],
    },
  };
}

/** The bundle `trace` shows. */
export async function traceBundle(run: Run, id: string): Promise<MimeBundle> {
  const task = run.results().find((candidate) => candidate.id === id) ?? run.deadLetters().find((t) => t.id === id);
  if (!task) throw new ConfigError("id", `run ${run.runId} has no finished task '${id}'`);
  return plotBundle(traceSpec(task));
}

/** Shows the timeline of task `id` of `run`. */
export async function trace(run: Run, id: string): Promise<void> {
  publish(await traceBundle(run, id));
}
