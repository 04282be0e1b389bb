/**
 * The wire form of a batch of run events (`sdk/bus/nats/event-batch.ts`): hop events go as flat
 * columns and come back as the same events; other events pass as they are; anything malformed is
 * dropped whole. Over a real server, metrics-over-nats.test.ts sees the hops arrive at the driver.
 */
import { describe, expect, it } from "vitest";
import { EventBatchWriter, readEventBatch } from "../../sdk/bus/nats/event-batch.js";
import type { HopEndEvent, RunEvent } from "../../sdk/schema/event.js";

const hop = (over: Partial<HopEndEvent>): HopEndEvent => ({
  type: "hop-end",
  taskId: "t1",
  role: "teacher",
  queueMs: 3,
  handleMs: 250,
  promptTokens: 120,
  completionTokens: 48,
  next: "student",
  time: 1_765_000_000_000,
  ...over,
});

/** Through JSON, as it travels. */
const roundTrip = (events: RunEvent[]) => {
  const writer = new EventBatchWriter();
  for (const event of events) writer.add(event);
  return readEventBatch(JSON.parse(JSON.stringify(writer.take())));
};

describe("event batches", () => {
  it("gives back every hop as it was, optional fields included or left out", () => {
    const hops = [
      hop({}),
      hop({ taskId: "t2", role: "student", next: "teacher", model: "m-large", bytes: 812, time: 1_765_000_000_040 }),
      hop({
        taskId: "t3",
        next: "_sink",
        model: "m-small",
        promptTokens: 0,
        completionTokens: 0,
        time: 1_765_000_000_041,
      }),
    ];
    expect(roundTrip(hops)).toEqual(hops);
  });

  it("passes other events through after the hops, and starts empty after take()", () => {
    const writer = new EventBatchWriter();
    const error: RunEvent = { type: "worker-error", worker: "w1", reason: "llm", message: "unreachable", time: 5 };
    writer.add(error);
    writer.add(hop({}));
    expect(writer.size).toBe(2);
    expect(readEventBatch(JSON.parse(JSON.stringify(writer.take())))).toEqual([hop({}), error]);
    expect(writer.size).toBe(0);
    expect(readEventBatch(writer.take())).toEqual([]);
  });

  it("is a third of the bytes of the same hops as JSON objects", () => {
    const hops = Array.from({ length: 500 }, (_, i) =>
      hop({
        taskId: `row-${i}`,
        role: i % 2 ? "a" : "b",
        next: i % 2 ? "b" : "a",
        bytes: 600,
        time: 1_765_000_000_000 + i,
      }),
    );
    const writer = new EventBatchWriter();
    for (const event of hops) writer.add(event);
    expect(JSON.stringify(writer.take()).length).toBeLessThan(JSON.stringify(hops).length / 3);
  });

  it("drops a batch that is not of this format, or has a malformed hop, whole", () => {
    const good = new EventBatchWriter();
    good.add(hop({}));
    good.add(hop({ taskId: "t2" }));
    const batch = JSON.parse(JSON.stringify(good.take()));
    expect(readEventBatch([hop({})])).toBeUndefined(); // the format before this one
    expect(readEventBatch({ ...batch, v: 3 })).toBeUndefined();
    expect(readEventBatch({ ...batch, h: batch.h.slice(1) })).toBeUndefined();
    expect(
      readEventBatch({ ...batch, h: batch.h.map((value: unknown, i: number) => (i === 12 ? "x" : value)) }),
    ).toBeUndefined();
    expect(
      readEventBatch({ ...batch, h: batch.h.map((value: unknown, i: number) => (i === 1 ? 7 : value)) }),
    ).toBeUndefined();
    expect(readEventBatch({ ...batch, s: [1, 2] })).toBeUndefined();
    expect(readEventBatch(null)).toBeUndefined();
    expect(readEventBatch(batch)).toHaveLength(2);
  });
});
