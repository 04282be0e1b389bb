/**
 * The behaviour every Bus must show, run against each implementation (local-bus.test.ts,
 * nats-bus.test.ts): delivery exactly once, the concurrency bound, nak and redelivery, competing
 * consumers, and stop() draining deliveries in hand.
 */
import { expect, it } from "vitest";
import type { Bus, Delivery } from "../../sdk/bus/bus.js";
import { createTask } from "../../sdk/driver/task-factory.js";
import type { Task } from "../../sdk/schema/task.js";
import { Tally } from "../helpers/wait.js";

export interface BusUnderTest {
  bus: Bus;
  /** The run the tasks belong to (opened on buses that scope by run). */
  runId: string;
  dispose(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function busContract(open: () => Promise<BusUnderTest>): void {
  const task = (runId: string, id: string): Task =>
    createTask({ runId, rowId: id, row: { n: Number(id) }, trial: 0, trials: 1, seed: 0, cursor: "a" });

  it("delivers every published task exactly once, intact", async () => {
    const { bus, runId, dispose } = await open();
    try {
      const seen: Task[] = [];
      const tally = new Tally();
      const consumer = bus.consume(
        "a",
        async (delivery) => {
          seen.push(delivery.task);
          tally.add();
          await delivery.ack();
        },
        { concurrency: 8 },
      );
      for (let i = 0; i < 200; i++) await bus.publish("a", task(runId, String(i)));
      await tally.reached(200);
      // A short settle: a duplicate delivery would arrive now.
      await sleep(50);
      expect(seen).toHaveLength(200);
      expect(new Set(seen.map((t) => t.id)).size).toBe(200);
      expect(seen.find((t) => t.id === "7")?.row).toEqual({ n: 7 });
      await consumer.stop();
    } finally {
      await dispose();
    }
  });

  it("delivers tasks whose ids hold newlines, spaces or escape-like text, each as itself", async () => {
    const { bus, runId, dispose } = await open();
    try {
      // " c" and "c" once shared a message id (the client trims header values): the second was dropped.
      const ids = ["a\nb", "a b", " c", "c", "d ", "x612062", "é|0|0|a"];
      const seen: string[] = [];
      const published: number[] = [];
      const tally = new Tally();
      const before = Date.now();
      const consumer = bus.consume(
        "a",
        async (delivery) => {
          seen.push(delivery.task.id);
          published.push(delivery.publishedAt);
          tally.add();
          await delivery.ack();
        },
        { concurrency: 4 },
      );
      for (const id of ids) await bus.publish("a", { ...task(runId, "1"), id });
      await tally.reached(ids.length);
      await sleep(50);
      expect([...seen].sort()).toEqual([...ids].sort());
      // When each was published, read from the message (NATS) or the queue (local), in ms since epoch.
      for (const at of published) {
        expect(at).toBeGreaterThanOrEqual(before - 1000);
        expect(at).toBeLessThanOrEqual(Date.now() + 1000);
      }
      await consumer.stop();
    } finally {
      await dispose();
    }
  });

  it("never runs more handlers at once than the consumer's concurrency", async () => {
    const { bus, runId, dispose } = await open();
    try {
      let active = 0;
      let peak = 0;
      const done = new Tally();
      const consumer = bus.consume(
        "a",
        async (delivery) => {
          active++;
          peak = Math.max(peak, active);
          await sleep(5);
          active--;
          await delivery.ack();
          done.add();
        },
        { concurrency: 3 },
      );
      for (let i = 0; i < 30; i++) await bus.publish("a", task(runId, String(i)));
      await done.reached(30);
      expect(peak).toBeLessThanOrEqual(3);
      expect(peak).toBeGreaterThan(1);
      await consumer.stop();
    } finally {
      await dispose();
    }
  });

  it("redelivers a nak'd task with a higher delivery count", async () => {
    const { bus, runId, dispose } = await open();
    try {
      const counts: number[] = [];
      const tally = new Tally();
      const consumer = bus.consume(
        "a",
        async (delivery: Delivery) => {
          counts.push(delivery.deliveryCount);
          tally.add();
          if (delivery.deliveryCount < 3) await delivery.nak(10);
          else await delivery.ack();
        },
        { concurrency: 1 },
      );
      await bus.publish("a", task(runId, "1"));
      await tally.reached(3);
      expect(counts).toEqual([1, 2, 3]);
      await consumer.stop();
    } finally {
      await dispose();
    }
  });

  it("shares a role between competing consumers, each task to one of them", async () => {
    const { bus, runId, dispose } = await open();
    try {
      const byConsumer = [new Set<string>(), new Set<string>()];
      const tally = new Tally();
      const consumers = byConsumer.map((ids) =>
        bus.consume(
          "a",
          async (delivery) => {
            ids.add(delivery.task.id);
            tally.add();
            await sleep(2);
            await delivery.ack();
          },
          { concurrency: 2 },
        ),
      );
      for (let i = 0; i < 60; i++) await bus.publish("a", task(runId, String(i)));
      await tally.reached(60);
      // A short settle: a duplicate delivery would arrive now.
      await sleep(50);
      expect(byConsumer[0]!.size + byConsumer[1]!.size).toBe(60);
      expect(byConsumer[0]!.size).toBeGreaterThan(0);
      expect(byConsumer[1]!.size).toBeGreaterThan(0);
      await Promise.all(consumers.map((consumer) => consumer.stop()));
    } finally {
      await dispose();
    }
  });

  it("stop() waits for deliveries in hand, and stopped consumers take nothing new", async () => {
    const { bus, runId, dispose } = await open();
    try {
      let finished = 0;
      let started = 0;
      const startedTally = new Tally();
      const consumer = bus.consume(
        "a",
        async (delivery) => {
          started++;
          startedTally.add();
          await sleep(50);
          finished++;
          await delivery.ack();
        },
        { concurrency: 2 },
      );
      for (let i = 0; i < 10; i++) await bus.publish("a", task(runId, String(i)));
      await startedTally.reached(2);
      await consumer.stop();
      expect(finished).toBe(started);
      const startedAtStop = started;
      await sleep(100);
      expect(started).toBe(startedAtStop);
      // What was not taken is still there for the next consumer.
      const rest = new Set<string>();
      const restTally = new Tally();
      const next = bus.consume(
        "a",
        async (delivery) => {
          rest.add(delivery.task.id);
          restTally.add();
          await delivery.ack();
        },
        { concurrency: 4 },
      );
      await restTally.reached(10 - startedAtStop);
      expect(rest.size + startedAtStop).toBe(10);
      await next.stop();
    } finally {
      await dispose();
    }
  });
}
