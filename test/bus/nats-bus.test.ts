import { afterAll, beforeAll, expect, it } from "vitest";
import { createNatsBus, natsNames } from "../../sdk/bus/nats/index.js";
import { createTask } from "../../sdk/driver/task-factory.js";
import { SINK, type Task } from "../../sdk/schema/task.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { Tally } from "../helpers/wait.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { busContract } from "./bus-contract.js";

const definition = pipeline("contract")
  .code("a", () => ({}))
  .toJSON();

describeWithNats("bus contract: NATS JetStream", () => {
  let server: NatsServerHandle;
  let counter = 0;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.dispose();
  });
  busContract(async () => {
    const bus = await createNatsBus({ servers: [server.url], ackWaitMs: 5000 });
    const runId = `contract-${++counter}`;
    await bus.openRun({ runId, definition });
    return {
      bus,
      runId,
      dispose: async () => {
        await bus.closeRun(runId);
        await bus.close();
      },
    };
  });
});

describeWithNats("NATS bus: corrupt messages", () => {
  let server: NatsServerHandle;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("a message failing TaskSchema becomes a failed task for the sink; non-JSON is kept on the dead subject", async () => {
    const bus = await createNatsBus({ servers: [server.url] });
    const runId = "corrupt-run";
    await bus.openRun({ runId, definition });
    try {
      const handled: string[] = [];
      const sunk: Task[] = [];
      const [handledTally, sunkTally] = [new Tally(), new Tally()];
      const a = bus.consume(
        "a",
        async (delivery) => {
          handled.push(delivery.task.id);
          handledTally.add();
          await delivery.ack();
        },
        { concurrency: 2 },
      );
      const sink = bus.consume(
        SINK,
        async (delivery) => {
          sunk.push(delivery.task);
          sunkTally.add();
          await delivery.ack();
        },
        { concurrency: 2 },
      );
      const encoder = new TextEncoder();
      await bus.js.publish(natsNames.subject(runId, "a"), encoder.encode("{not json"));
      await bus.js.publish(
        natsNames.subject(runId, "a"),
        encoder.encode(JSON.stringify({ id: "bad-1", runId, history: "not a list" })),
      );
      await bus.publish("a", createTask({ runId, rowId: "good", row: {}, trial: 0, trials: 1, seed: 0, cursor: "a" }));
      await Promise.all([handledTally.reached(1), sunkTally.reached(1)]);
      expect(handled).toEqual(["good"]);
      expect(sunk).toHaveLength(1);
      expect(sunk[0]).toMatchObject({ id: "bad-1", status: "failed", error: { name: "TaskValidationError" } });
      const jsm = await bus.jsm();
      const dead = await jsm.streams.getMessage(natsNames.stream(runId), {
        last_by_subj: natsNames.deadSubject(runId),
      });
      expect(dead?.header.get("Matrix-Error-Code")).toBe("task-validation");
      await Promise.all([a.stop(), sink.stop()]);
    } finally {
      await bus.closeRun(runId);
      await bus.close();
    }
  });
});

describeWithNats("NATS bus: max_deliver", () => {
  let server: NatsServerHandle;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("a task the server stops delivering (a worker crashing on it) is dead-lettered by the driver", async () => {
    const bus = await createNatsBus({ servers: [server.url], maxDeliver: 2 });
    const runId = "max-deliver-run";
    await bus.openRun({ runId, definition: { ...definition, options: { ...definition.options, maxAttempts: 1 } } });
    try {
      let deliveries = 0;
      const sunk: Task[] = [];
      const sunkTally = new Tally();
      // Simulates a worker that dies on this task every time: it never acks, the task is given back.
      const a = bus.consume(
        "a",
        async (delivery) => {
          deliveries++;
          await delivery.nak();
        },
        { concurrency: 1 },
      );
      const sink = bus.consume(
        SINK,
        async (delivery) => {
          sunk.push(delivery.task);
          sunkTally.add();
          await delivery.ack();
        },
        { concurrency: 1 },
      );
      await bus.publish(
        "a",
        createTask({ runId, rowId: "poison", row: {}, trial: 0, trials: 1, seed: 0, cursor: "a" }),
      );
      await sunkTally.reached(1);
      expect(deliveries).toBe(2);
      expect(sunk).toHaveLength(1);
      expect(sunk[0]).toMatchObject({ id: "poison", status: "failed", reason: "max-deliveries" });
      expect(sunk[0]!.error?.message).toContain("delivered 2 times");
      await Promise.all([a.stop(), sink.stop()]);
    } finally {
      await bus.closeRun(runId);
      await bus.close();
    }
  });
});

describeWithNats("NATS bus: a withdrawn run", () => {
  let server: NatsServerHandle;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("publishes of an abandoned run stop retrying at once; a revived run is published to again", async () => {
    const bus = await createNatsBus({ servers: [server.url], publishTimeoutMs: 120_000 });
    const runId = "withdrawn-run";
    const task = createTask({ runId, rowId: "r1", row: { id: "r1" }, trial: 0, trials: 1, seed: 0, cursor: "a" });
    try {
      // Its stream was removed: "no responders", retried for publishTimeoutMs (two minutes here).
      const retrying = bus.publish("a", task);
      const settled = retrying.then(
        () => "published",
        (error: Error) => error.message,
      );
      await new Promise((resolve) => setTimeout(resolve, 300));
      bus.abandonRun(runId);
      expect(await settled).toMatch(/^Publishing task r1 to 'a' failed: run withdrawn-run was withdrawn; .*503/);
      await expect(bus.publish("a", task)).rejects.toThrow("run withdrawn-run was withdrawn");

      bus.reviveRun(runId);
      await bus.openRun({ runId, definition });
      await bus.publish("a", task);
      expect(bus.stats.published).toBe(1);
      await bus.closeRun(runId);
    } finally {
      await bus.close();
    }
  });
});
