/**
 * Hop events from workers to the driver over a real nats-server (`sdk/bus/nats/event-channel.ts`):
 * batches in the columnar format (event-batch.ts) arrive as the events that were emitted, a batch is
 * sent early once it is large, and a plain array (the format of workers before event-batch.ts) is
 * still read.
 *
 * Where you are: `test/bus/`. The columns themselves are covered in event-batch.test.ts.
 */
import { expect, it } from "vitest";
import { EventPublisher, subscribeEvents } from "../../sdk/bus/nats/event-channel.js";
import { names } from "../../sdk/bus/nats/names.js";
import type { HopEndEvent, RunEvent } from "../../sdk/schema/event.js";
import { describeWithNats, natsConnectionForSuite } from "../helpers/nats-server.js";
import { Tally } from "../helpers/wait.js";

const hop = (i: number): HopEndEvent => ({
  type: "hop-end",
  taskId: `t${i}`,
  role: i % 2 ? "student" : "teacher",
  queueMs: i,
  handleMs: 10 + i,
  promptTokens: 5,
  completionTokens: 7,
  next: "_sink",
  time: 1_765_000_000_000 + i,
});

describeWithNats("run event channel", () => {
  const suite = natsConnectionForSuite();

  it("delivers emitted events to the run's subscriber, batched, and only to that run's", async () => {
    const seen: RunEvent[] = [];
    const other: RunEvent[] = [];
    const tally = new Tally();
    const stop = subscribeEvents(suite.nc, "r1", (event) => {
      seen.push(event);
      tally.add();
    });
    const stopOther = subscribeEvents(suite.nc, "r2", (event) => other.push(event));
    await suite.nc.flush();
    // A long flush interval: the 6,000 hops go out because a batch is sent early at 5,000, then on flush().
    const publisher = new EventPublisher(suite.nc, 60_000);
    const hops = Array.from({ length: 6000 }, (_, i) => hop(i));
    for (const event of hops) publisher.emit("r1", event);
    await tally.reached(5000);
    expect(seen).toHaveLength(5000);
    publisher.flush();
    await tally.reached(6000);
    expect(seen).toEqual(hops);
    expect(other).toEqual([]);
    stop();
    stopOther();
  });

  it("still reads a plain array of events, and drops what is not events", async () => {
    const seen: RunEvent[] = [];
    const tally = new Tally();
    const stop = subscribeEvents(suite.nc, "r3", (event) => {
      seen.push(event);
      tally.add();
    });
    await suite.nc.flush();
    const encode = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));
    suite.nc.publish(names.events("r3"), encode({ v: 9, h: [] }));
    suite.nc.publish(names.events("r3"), new TextEncoder().encode("not json"));
    suite.nc.publish(names.events("r3"), encode([hop(1), { no: "type" }, hop(2)]));
    await tally.reached(2);
    await suite.nc.flush();
    expect(seen).toEqual([hop(1), hop(2)]);
    stop();
  });
});
