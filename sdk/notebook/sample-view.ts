/**
 * `sample(run, n, filter?)`: a few finished conversations rendered for a person to judge quality in
 * seconds: each turn's role and content, tool calls and results, and the task's scores and state.
 *
 * Where you are: `notebook/`. The HTML is self-contained (inline styles) so reports reuse it.
 */
import type { Run } from "../driver/run.js";
import type { Task } from "../schema/task.js";
import type { Turn } from "../schema/turn.js";
import { escapeHtml } from "./html.js";
import { markShown, publish, withDisplay, type MimeBundle } from "./mime-bundle.js";
import { tasksLine } from "./value-lines.js";

export type TaskFilter = (task: Task) => boolean;

const ROLE_COLORS = ["#e8f0fe", "#fef7e0", "#e6f4ea", "#fce8e6", "#f3e8fd", "#e4f7fb"];

function turnHtml(turn: Turn, color: string): string {
  const calls = (turn.toolCalls ?? [])
    .map(
      (call) =>
        `<div style="font-family:monospace;font-size:11px">→ tool <b>${escapeHtml(call.function.name)}</b>(${escapeHtml(call.function.arguments)})</div>`,
    )
    .join("");
  const label = turn.toolCallId ? `${turn.role} (result of ${turn.toolCallId})` : turn.role;
  const data =
    turn.data === undefined
      ? ""
      : `<div style="font-family:monospace;font-size:11px;color:#333">data: ${escapeHtml(JSON.stringify(turn.data))}</div>`;
  const error = turn.error
    ? `<div style="color:#c0392b">${escapeHtml(`${turn.error.name}: ${turn.error.message}`)}</div>`
    : "";
  const content = turn.content ?? (turn.contentRef ? `[offloaded: ${turn.contentRef.ref}]` : "");
  return (
    `<div class="matrix-turn" style="background:${color};border-radius:6px;padding:4px 8px;margin:3px 0">` +
    `<div style="font-size:11px;color:#555"><b>${escapeHtml(label)}</b>${turn.model ? ` · ${escapeHtml(turn.model)}` : ""}${turn.usage ? ` · ${turn.usage.completionTokens} tokens` : ""}</div>` +
    `<div style="white-space:pre-wrap">${escapeHtml(content)}</div>${calls}${data}${error}</div>`
  );
}

export function conversationHtml(task: Task): string {
  const roles = [...new Set(task.history.map((turn) => turn.role))];
  const color = (role: string) => ROLE_COLORS[roles.indexOf(role) % ROLE_COLORS.length]!;
  const status = task.status === "done" ? "#4c9a2a" : task.status === "filtered" ? "#b8860b" : "#c0392b";
  const state = Object.keys(task.state).length
    ? `<div style="font-family:monospace;font-size:11px;background:#f7f7f7;padding:4px">state: ${escapeHtml(JSON.stringify(task.state))}</div>`
    : "";
  const error = task.error
    ? `<div style="color:#c0392b">${escapeHtml(`${task.error.name}: ${task.error.message}`)}</div>`
    : "";
  return (
    `<div class="matrix-sample" style="border:1px solid #ddd;border-radius:8px;padding:6px 10px;margin:8px 0;font:13px/1.4 system-ui,sans-serif;max-width:900px">` +
    `<div><b>${escapeHtml(task.id)}</b> · <span style="color:${status}">${task.status}</span>${task.reason ? ` (${escapeHtml(task.reason)})` : ""} · ${task.history.length} turns</div>` +
    (task.row
      ? `<div style="font-size:11px;color:#555">row: ${escapeHtml(JSON.stringify(task.row).slice(0, 300))}</div>`
      : "") +
    task.history.map((turn) => turnHtml(turn, color(turn.role))).join("") +
    state +
    error +
    `</div>`
  );
}

export function conversationText(task: Task): string {
  const turns = task.history.map((turn) => `  [${turn.role}] ${(turn.content ?? "").slice(0, 200)}`).join("\n");
  return `${task.id} (${task.status}${task.reason ? `: ${task.reason}` : ""})\n${turns}\n  state: ${JSON.stringify(task.state)}`;
}

/** Picks `n` tasks evenly spread over those matching `filter` (deterministic, so re-runs show the same ones). */
export function pickSample(tasks: readonly Task[], n: number, filter?: TaskFilter): Task[] {
  const matching = filter ? tasks.filter(filter) : [...tasks];
  if (matching.length <= n) return matching;
  const step = matching.length / n;
  return Array.from({ length: n }, (_, index) => matching[Math.floor(index * step)]!);
}

export function sampleBundle(tasks: readonly Task[]): MimeBundle {
  return {
    "text/html": tasks.length ? tasks.map(conversationHtml).join("") : "<div>No finished tasks match.</div>",
    "text/plain": tasks.length ? tasksLine(tasks) : "No finished tasks match.",
  };
}

/**
 * Shows `n` finished conversations of `run` (optionally only those matching `filter`) and returns
 * them (as a cell's value they are not shown twice; later, they show as conversations again).
 */
export function sample(run: Run, n = 3, filter?: TaskFilter): Task[] {
  const tasks = pickSample(run.results(), n, filter);
  const bundle = sampleBundle(tasks);
  publish(bundle);
  return markShown(
    withDisplay(
      tasks,
      () => bundle,
      () => tasksLine(tasks),
    ),
  );
}
