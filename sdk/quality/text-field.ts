/**
 * Field paths: which part of a task (or of a record, a table row) a quality check or dedup looks at.
 *
 * Where you are: `quality/`. A path is one of
 * - `last`: the text of the task's last turn (the default);
 * - `turn:<role>`: the text of the last turn that role wrote;
 * - a property path into the record: `row.text`, `state.answer.code`, `history[-1].content`,
 *   `history.0.content` (negative indices count from the end). A path ending on a turn means its text.
 * The same paths work on finished task records (output.jsonl) and on any JSON object.
 */
import { QualityFieldError } from "../errors.js";
import type { Turn } from "../schema/turn.js";

type Part = string | number;

const cache = new Map<string, Part[]>();

/** Splits `a.b[-1].c` / `a.b.-1.c` into parts; numbers (negative too) index arrays. */
export function parseFieldPath(path: string): Part[] {
  const known = cache.get(path);
  if (known) return known;
  if (path.trim() === "") throw new QualityFieldError(path, "the field path is empty");
  const parts: Part[] = [];
  for (const segment of path.split(".")) {
    const match = /^([^[\]]*)((?:\[-?\d+\])*)$/.exec(segment);
    if (!match || (match[1] === "" && match[2] === ""))
      throw new QualityFieldError(path, `'${segment}' is not a property name or [index]`);
    if (match[1] !== "") parts.push(/^-?\d+$/.test(match[1]!) ? Number(match[1]) : match[1]!);
    for (const index of match[2]!.matchAll(/\[(-?\d+)\]/g)) parts.push(Number(index[1]));
  }
  cache.set(path, parts);
  return parts;
}

export function isTurn(value: unknown): value is Turn {
  return typeof value === "object" && value !== null && "role" in value && "content" in value && "timing" in value;
}

/**
 * The value at `path` in `record`: for `last` / `turn:<role>` and paths ending on a turn, the turn
 * itself (its text may be offloaded; see `textOf`). `undefined` when the path leads nowhere.
 */
export function valueAt(record: unknown, path: string): unknown {
  if (path === "last" || path.startsWith("turn:")) {
    const history = (record as { history?: unknown })?.history;
    if (!Array.isArray(history)) return undefined;
    if (path === "last") return history.at(-1);
    const role = path.slice("turn:".length);
    for (let i = history.length - 1; i >= 0; i--) if ((history[i] as Turn)?.role === role) return history[i];
    return undefined;
  }
  let value: unknown = record;
  for (const part of parseFieldPath(path)) {
    if (value === null || value === undefined) return undefined;
    if (typeof part === "number") {
      if (!Array.isArray(value)) return undefined;
      value = value.at(part);
    } else {
      if (typeof value !== "object") return undefined;
      value = (value as Record<string, unknown>)[part];
    }
  }
  return value;
}

/** A value as text: strings as they are, a turn as its content, anything else as JSON. */
export function asText(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (isTurn(value)) return value.content ?? undefined;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(value);
}

/**
 * The value at `path` in a task, with an offloaded turn's text read back through `content` (the agent
 * context's reader on NATS). Throws QualityFieldError when the path leads nowhere.
 */
export async function valueOfTask(
  task: unknown,
  path: string,
  content?: (turn: Turn) => Promise<string | null>,
): Promise<unknown> {
  const value = valueAt(task, path);
  if (value === undefined || value === null) throw new QualityFieldError(path, describeMissing(task, path));
  if (isTurn(value) && value.content === null && value.contentRef && content)
    return { ...value, content: await content(value) };
  return value;
}

/** The text at `path` in a task (see valueOfTask). */
export async function textOf(
  task: unknown,
  path: string,
  content?: (turn: Turn) => Promise<string | null>,
): Promise<string> {
  const text = asText(await valueOfTask(task, path, content));
  if (text === undefined) throw new QualityFieldError(path, "the turn has no text");
  return text;
}

/** Why a path found nothing, in words a user can act on. */
export function describeMissing(record: unknown, path: string): string {
  if (path === "last" || path.startsWith("turn:")) {
    const history = (record as { history?: unknown })?.history;
    if (!Array.isArray(history)) return "the record has no history (use a path such as row.text)";
    return path === "last" ? "the history is empty" : `no turn by role '${path.slice(5)}'`;
  }
  return "nothing there (or null)";
}
