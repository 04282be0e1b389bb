/**
 * The wire form of a batch of run events (event-channel.ts): hop-end events as flat columns, the rare
 * others as they are.
 *
 * Where you are: `bus/nats/`. Every hop sends a `hop-end` event to the driver. As JSON objects they
 * cost about 150 bytes each, and stringifying, routing and parsing them was a tenth of a hop's CPU on
 * NATS (server, worker and driver together; bench/nats-bus.ts). Here a hop is ten values in one flat
 * array, with its role, next role and model named by an index into the batch's string table, and its
 * time as an offset from the batch's first: about a third of the bytes, and no keys to write or read.
 *
 * Decoding checks every value's type by hand rather than with a zod schema: batches hold thousands of
 * hops and arrive dozens of times a second, and events are advisory, so a malformed batch is dropped
 * whole (`undefined`), never half-read.
 */
import type { HopEndEvent, RunEvent } from "../../schema/event.js";

/** Marks the batch format, so a driver that does not know a later one drops it instead of misreading it. */
const VERSION = 2;
/** Values per hop in `h`: taskId, role, next, model (-1: none), queueMs, handleMs, prompt, completion, bytes (-1: none), time. */
const STRIDE = 10;

export interface EventBatch {
  v: typeof VERSION;
  /** The time the batch's hop times are offsets from (ms since epoch). */
  t: number;
  /** Roles, next roles and models, named by index in `h`. */
  s: string[];
  /** Hops, STRIDE values each. */
  h: (string | number)[];
  /** Events other than hops, as they are. */
  e: RunEvent[];
}

/** Collects events into one batch; `take()` hands it over and starts the next. */
export class EventBatchWriter {
  private strings = new Map<string, number>();
  private hops: (string | number)[] = [];
  private others: RunEvent[] = [];
  private start = 0;

  get size(): number {
    return this.hops.length / STRIDE + this.others.length;
  }

  add(event: RunEvent): void {
    if (event.type !== "hop-end") {
      this.others.push(event);
      return;
    }
    if (this.hops.length === 0) this.start = event.time;
    this.hops.push(
      event.taskId,
      this.index(event.role),
      this.index(event.next),
      event.model === undefined ? -1 : this.index(event.model),
      event.queueMs,
      event.handleMs,
      event.promptTokens,
      event.completionTokens,
      event.bytes ?? -1,
      event.time - this.start,
    );
  }

  take(): EventBatch {
    const batch: EventBatch = { v: VERSION, t: this.start, s: [...this.strings.keys()], h: this.hops, e: this.others };
    this.strings = new Map();
    this.hops = [];
    this.others = [];
    return batch;
  }

  private index(value: string): number {
    let index = this.strings.get(value);
    if (index === undefined) this.strings.set(value, (index = this.strings.size));
    return index;
  }
}

/** The events of a batch, or undefined when it is not a batch of this format. */
export function readEventBatch(batch: unknown): RunEvent[] | undefined {
  if (typeof batch !== "object" || batch === null) return undefined;
  const { v, t, s, h, e } = batch as Partial<EventBatch>;
  if (v !== VERSION || typeof t !== "number" || !Array.isArray(s) || !Array.isArray(h) || !Array.isArray(e))
    return undefined;
  if (h.length % STRIDE !== 0 || !s.every((value) => typeof value === "string")) return undefined;
  const name = (value: unknown) => (typeof value === "number" ? s[value] : undefined);
  const events: RunEvent[] = [];
  for (let i = 0; i < h.length; i += STRIDE) {
    const taskId = h[i];
    const role = name(h[i + 1]);
    const next = name(h[i + 2]);
    if (typeof taskId !== "string" || role === undefined || next === undefined) return undefined;
    for (let j = i + 3; j < i + STRIDE; j++) if (typeof h[j] !== "number") return undefined;
    const hop: HopEndEvent = {
      type: "hop-end",
      taskId,
      role,
      queueMs: h[i + 4] as number,
      handleMs: h[i + 5] as number,
      promptTokens: h[i + 6] as number,
      completionTokens: h[i + 7] as number,
      next,
      time: t + (h[i + 9] as number),
    };
    const model = name(h[i + 3]);
    if (model !== undefined) hop.model = model;
    if ((h[i + 8] as number) >= 0) hop.bytes = h[i + 8] as number;
    events.push(hop);
  }
  for (const event of e)
    if (typeof event === "object" && event !== null && typeof event.type === "string") events.push(event);
  return events;
}
