/**
 * Publishing rich outputs: a MIME bundle (several renderings of one thing) sent to the notebook,
 * optionally under a display id so later calls update it in place.
 *
 * Where you are: `notebook/`, the only folder that touches tslab. tslab is required lazily, so the
 * SDK still loads in plain node scripts; outside a kernel, outputs go to the target set with
 * `setDisplayTarget` (tests capture them) or are dropped.
 *
 * tslab's public `Display` sends one MIME type per message; a bundle with both a vega-lite JSON spec
 * and its HTML rendering needs tslab's internal `lastWriteDisplayData` (toolchain notes §2).
 */
import { randomBytes } from "node:crypto";

/** MIME type -> content. JSON types (vega-lite) hold objects; the rest strings (base64 for images). */
export type MimeBundle = Record<string, unknown>;

export interface DisplayTarget {
  publish(bundle: MimeBundle, display?: { id: string; update: boolean }): void;
}

type WriteDisplayData = (
  message: { data: MimeBundle; metadata: Record<string, unknown>; transient: { display_id?: string } },
  update: boolean,
) => void;

declare const require: NodeJS.Require | undefined;

let target: DisplayTarget | undefined;

/** Routes outputs somewhere other than tslab (tests), or back to tslab with `undefined`. */
export function setDisplayTarget(next: DisplayTarget | undefined): void {
  target = next;
}

function tslabWriter(): WriteDisplayData | undefined {
  if (typeof require !== "function") return undefined;
  try {
    const jupyter = require("tslab/dist/jupyter") as { lastWriteDisplayData: WriteDisplayData | null };
    return jupyter.lastWriteDisplayData ?? undefined;
  } catch {
    return undefined;
  }
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
