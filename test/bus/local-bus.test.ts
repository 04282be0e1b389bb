import { describe, expect, it } from "vitest";
import { createLocalBus } from "../../sdk/bus/local-bus.js";
import { createTask } from "../../sdk/driver/task-factory.js";
import type { Delivery } from "../../sdk/bus/bus.js";
import { Tally } from "../helpers/wait.js";

const task = (id: string) => createTask({ runId: "r", rowId: id, row: {}, trial: 0, trials: 1, seed: 0, cursor: "a" });
const tick = () => new Promise((resolve) => setTimeout(resolve, 5));

describe("local bus", () => {
  it("delivers in FIFO order and never exceeds the consumer's concurrency", async () => {
    const bus = createLocalBus();
    const seen: string[] = [];
    let active = 0;
    let peak = 0;
    const release: Array<() => void> = [];
    bus.consume(
      "a",
      async (delivery) => {
        active++;
        peak = Math.max(peak, active);
        seen.push(delivery.task.id);
        await new Promise<void>((resolve) => release.push(resolve));
        active--;
        await delivery.ack();
      },
      { concurrency: 3 },
    );
    for (let i = 0; i < 10; i++) await bus.publish("a", task(String(i)));
    await tick();
    expect(seen).toEqual(["0", "1", "2"]);
    expect(bus.depth("a")).toBe(7);
    while (seen.length < 10 || release.length > 0) {
      release.shift()?.();
      await tick();
    }
    expect(seen).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    expect(peak).toBe(3);
    expect(bus.depth("a")).toBe(0);
  });

  it("redelivers a nak'd task with a higher delivery count", async () => {
    const bus = createLocalBus();
    const deliveries: number[] = [];
    const tally = new Tally();
    bus.consume(
      "a",
      async (delivery: Delivery) => {
        deliveries.push(delivery.deliveryCount);
        tally.add();
        if (delivery.deliveryCount < 3) await delivery.nak(1);
        else await delivery.ack();
      },
      { concurrency: 1 },
    );
    await bus.publish("a", task("x"));
    await tally.reached(3);
    expect(deliveries).toEqual([1, 2, 3]);
  });

  it("shares a role between consumers and stop() waits for deliveries in hand", async () => {
    const bus = createLocalBus();
    const byConsumer = [0, 0];
    let finishedAfterStop = false;
    let inHand!: () => void;
    const firstHasOne = new Promise<void>((resolve) => (inHand = resolve));
    const first = bus.consume(
      "a",
      async (delivery) => {
        byConsumer[0]!++;
        inHand();
        await tick();
        finishedAfterStop = true;
        await delivery.ack();
      },
      { concurrency: 1 },
    );
    bus.consume(
      "a",
      async (delivery) => {
        byConsumer[1]!++;
        await delivery.ack();
      },
      { concurrency: 1 },
    );
    for (let i = 0; i < 20; i++) await bus.publish("a", task(String(i)));
    await firstHasOne;
    await first.stop();
    expect(finishedAfterStop).toBe(true);
    await tick();
    expect(byConsumer[0]! + byConsumer[1]!).toBe(20);
    expect(byConsumer[0]).toBeGreaterThan(0);
    expect(byConsumer[1]).toBeGreaterThan(0);
  });

  it("serves a backlog turn by turn: a long queue of cheap tasks does not starve timers and sockets", async () => {
    const bus = createLocalBus();
    let handled = 0;
    const tally = new Tally();
    bus.consume(
      "a",
      async (delivery) => {
        handled++;
        tally.add();
        await delivery.ack();
      },
      { concurrency: 1 },
    );
    for (let i = 0; i < 200; i++) await bus.publish("a", task(String(i)));
    // Queued after the bus's first turn: taken all at once, the 200 tasks would be done before it runs.
    let handledByThen = -1;
    setImmediate(() => (handledByThen = handled));
    await tally.reached(200);
    expect(handledByThen).toBeGreaterThanOrEqual(1);
    expect(handledByThen).toBeLessThan(200);
    await bus.close();
  });

  it("refuses to publish after close", async () => {
    const bus = createLocalBus();
    await bus.close();
    await expect(bus.publish("a", task("1"))).rejects.toThrow(/closed/);
  });
});
