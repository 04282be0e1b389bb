/**
 * A worker's heartbeat says at once which runs it serves: when it starts serving a run and when the
 * run ends, not at its next periodic beat. `matrix status` read the ended run, with hops in flight,
 * from a heartbeat up to 5 s old (found trying the README as a new user).
 *
 * Where you are: `test/worker/`. The period here is two minutes, so only the prompt beats can be
 * seen within the test; the heartbeats are awaited through a watch of the registry, not polled.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { createNatsBus, type NatsBus } from "../../sdk/bus/nats/index.js";
import { WorkerRegistry, type WorkerHeartbeat } from "../../sdk/bus/nats/worker-registry.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { startWorker, type Worker } from "../../sdk/worker/worker.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { tempDir } from "../helpers/temp-dir.js";

const slow = pipeline("heartbeat-runs")
  .code("wait", async () => {
    await new Promise((resolve) => setTimeout(resolve, 20));
    return { content: "waited" };
  })
  .sequence("wait");

describeWithNats("worker heartbeats", () => {
  let server: NatsServerHandle;
  let bus: NatsBus;
  let worker: Worker;
  const beats: WorkerHeartbeat[] = [];
  const waiters: Array<{ check: (beat: WorkerHeartbeat) => boolean; resolve: () => void }> = [];
  let stopWatching: (() => void) | undefined;
  /** Resolves at the first heartbeat of worker `hb` (seen so far, or to come) that passes `check`. */
  const heartbeat = (check: (beat: WorkerHeartbeat) => boolean) =>
    new Promise<void>((resolve) => {
      if (beats.some(check)) resolve();
      else waiters.push({ check, resolve });
    });

  beforeAll(async () => {
    server = await startNatsServer();
    bus = await createNatsBus({ servers: [server.url] });
    stopWatching = await (
      await WorkerRegistry.open(bus.connection, { ttlMs: 360_000 })
    ).watch((_key, beat) => {
      if (beat?.id !== "hb") return;
      beats.push(beat);
      for (const waiter of [...waiters]) if (waiter.check(beat)) waiter.resolve();
    });
    worker = await startWorker({ bus: await createNatsBus({ servers: [server.url] }), id: "hb", heartbeatMs: 120_000 });
  });

  afterAll(async () => {
    stopWatching?.();
    await worker?.drain();
    await bus?.close();
    await server?.dispose();
  });

  it("names a run as soon as the worker serves it, and drops it with its hops as soon as the run ends", async () => {
    // The watch is on once it has shown the worker's first beat (a watch that started late shows the last).
    await heartbeat(() => true);
    const run = slow.run({ source: Array.from({ length: 30 }, (_, i) => ({ id: `r${i}` })), out: tempDir(), bus });
    await heartbeat((beat) => beat.runs.includes(run.runId));
    const summary = await run.done();
    expect(summary.counts.done).toBe(30);
    const served = beats.findIndex((beat) => beat.runs.includes(run.runId));
    await heartbeat((beat) => beats.indexOf(beat) > served && beat.runs.length === 0);
    expect(beats.at(-1)).toMatchObject({ runs: [], inFlight: 0 });
    expect(beats.at(-1)!.hops).toBeGreaterThanOrEqual(30);
  });
});
