/**
 * The driver's feed: its publishes are pending together (one socket write on NATS, publish-window.ts;
 * the refills themselves are tested in slots.test.ts), never above `maxInFlight`; and a task the bus
 * refuses ends the run with that error instead of holding a slot the run waits on forever.
 */
import { describe, expect, it } from "vitest";
import { createLocalBus } from "../../sdk/bus/local-bus.js";
import { BusError } from "../../sdk/errors.js";
import { pipeline, type Task } from "../../sdk/index.js";

const passThrough = pipeline("feed").code("a", () => undefined);
const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: String(i) }));

/** The local bus, with the driver's publishes (fresh tasks to the entry role) held for a turn of the event loop. */
function slowFeedBus(refuse?: (task: Task) => boolean) {
  const bus = createLocalBus();
  const publish = bus.publish.bind(bus);
  const seen = { fed: 0, pending: 0, maxPending: 0 };
  bus.publish = async (role: string, task: Task) => {
    if (role !== "a" || task.hops > 0) return publish(role, task);
    seen.fed++;
    seen.pending++;
    seen.maxPending = Math.max(seen.maxPending, seen.pending);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      if (refuse?.(task)) throw new BusError(`the stream refused task ${task.id}`);
      return await publish(role, task);
    } finally {
      seen.pending--;
    }
  };
  return { bus, seen };
}

describe("the driver's feed", () => {
  it("has many publishes pending together, never more tasks in flight than maxInFlight", async () => {
    const maxInFlight = 320;
    const { bus, seen } = slowFeedBus();
    const run = passThrough.run({ source: rows(2000), bus, maxInFlight, concurrency: 8, keepResults: false });
    let maxInFlightSeen = 0;
    const watch = setInterval(() => (maxInFlightSeen = Math.max(maxInFlightSeen, run.progress().inFlight)), 1);
    run.subscribe(() => (maxInFlightSeen = Math.max(maxInFlightSeen, run.progress().inFlight)));
    const summary = await run.done();
    clearInterval(watch);
    expect(summary.counts.done).toBe(2000);
    expect(seen.fed).toBe(2000);
    expect(maxInFlightSeen).toBeGreaterThan(0);
    expect(maxInFlightSeen).toBeLessThanOrEqual(maxInFlight);
    // Awaited one by one, the feed never had more than one publish pending.
    expect(seen.maxPending).toBeGreaterThanOrEqual(10);
  });

  it("a task the bus refuses ends the run with that error; the tasks fed before it finish", async () => {
    const { bus, seen } = slowFeedBus((task) => task.id === "50");
    const run = passThrough.run({ source: rows(200), bus, maxInFlight: 16, concurrency: 4 });
    const error = await run.done().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BusError);
    expect((error as Error).message).toBe("the stream refused task 50");
    const { done, fed, inFlight } = run.progress();
    expect(fed).toBe(seen.fed);
    expect(done).toBe(fed - 1);
    expect(done).toBeGreaterThanOrEqual(50);
    expect(done).toBeLessThan(200);
    expect(inFlight).toBe(0);
  });
});
