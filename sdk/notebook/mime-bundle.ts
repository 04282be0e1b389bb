/**
 * Publishing rich outputs: a MIME bundle (several renderings of one thing) sent to the notebook,
 * optionally under a display id so later calls update it in place.
 *
 * Where you are: `notebook/`, the only folder that touches tslab. tslab is never loaded from here:
 * the running kernel's copy is found in the module cache, so the SDK loads in plain node scripts
 * and from the built package (ESM or CommonJS) alike; outside a kernel, outputs go to the target
 * set with `setDisplayTarget` (tests capture them) or are dropped.
 *
 * tslab's public `Display` sends one MIME type per message; a bundle with both a vega-lite JSON spec
 * and its HTML rendering needs tslab's internal `lastWriteDisplayData` (toolchain notes §2).
 */
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import { inspect } from "node:util";
import { join, sep } from "node:path";

/** MIME type -> content. JSON types (vega-lite) hold objects; the rest strings (base64 for images). */
export type MimeBundle = Record<string, unknown>;

export interface DisplayTarget {
  publish(bundle: MimeBundle, display?: { id: string; update: boolean }): void;
}

type WriteDisplayData = (
  message: { data: MimeBundle; metadata: Record<string, unknown>; transient: { display_id?: string } },
  update: boolean,
) => void;

interface TslabJupyter {
  lastWriteDisplayData: WriteDisplayData | null;
}

let target: DisplayTarget | undefined;
let jupyter: TslabJupyter | undefined;

/** Routes outputs somewhere other than tslab (tests), or back to tslab with `undefined`. */
export function setDisplayTarget(next: DisplayTarget | undefined): void {
  target = next;
}

const JUPYTER_MODULE = `${sep}tslab${sep}dist${sep}jupyter.js`;

/** The running kernel's tslab module: a kernel loaded it before any cell ran. */
function tslabWriter(): WriteDisplayData | undefined {
  if (!jupyter) {
    const cache = createRequire(join(process.cwd(), "noop.js")).cache;
    const key = Object.keys(cache).find((path) => path.endsWith(JUPYTER_MODULE));
    jupyter = key ? (cache[key]?.exports as TslabJupyter | undefined) : undefined;
  }
  return jupyter?.lastWriteDisplayData ?? undefined;
}

/** Whether outputs reach a notebook (a running tslab kernel or a test target). */
export function canDisplay(): boolean {
  return target !== undefined || tslabWriter() !== undefined;
}

export function publish(bundle: MimeBundle, display?: { id: string; update: boolean }): void {
  if (target) return target.publish(bundle, display);
  const write = tslabWriter();
  if (!write) return;
  write({ data: bundle, metadata: {}, transient: display ? { display_id: display.id } : {} }, display?.update ?? false);
}

/** A display that the first `show` creates and every later `show` replaces in place. */
export class LiveDisplay {
  private readonly id = randomBytes(8).toString("hex");
  private shown = false;

  show(bundle: MimeBundle): void {
    publish(bundle, { id: this.id, update: this.shown });
    this.shown = true;
  }
}

/** The method a value's rich display lives under (the convention of Deno's Jupyter kernel). */
export const JUPYTER_DISPLAY = Symbol.for("Jupyter.display");
const CELL = Symbol.for("matrix-ts.notebook-cell");

/**
 * Records that the running cell already displayed `value` (e.g. `run.table()` showed the table it
 * returns), so the project kernel does not show it again when it is the cell's last value.
 */
export function markShown<T>(value: T): T {
  const cell = (globalThis as Record<symbol, { shown: WeakSet<object> } | undefined>)[CELL];
  if (cell && value !== null && typeof value === "object") cell.shown.add(value);
  return value;
}

/** Defines a non-enumerable, replaceable property (how every notebook hook is attached). */
export function defineHidden(target: object, key: PropertyKey, value: unknown): void {
  Object.defineProperty(target, key, { value, configurable: true, writable: true, enumerable: false });
}

/** Gives `target` a rich display (a cell's value) and a one-line `util.inspect` form. */
export function withDisplay<T extends object>(target: T, bundle: () => MimeBundle, text: () => string): T {
  defineHidden(target, JUPYTER_DISPLAY, bundle);
  defineHidden(target, inspect.custom, text);
  return target;
}
