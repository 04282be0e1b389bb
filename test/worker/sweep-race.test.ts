/**
 * A worker's sweep for abandoned runs must not drop a run that was registered while the sweep was
 * listing the registry: the listing misses it, yet the worker's registry watch has started serving
 * it. Leaving it then stopped the worker serving the run for good (a record is put once, so the
 * watch never offers it again), and a run with no other worker waited forever (seen as a detached
 * run that `attachRun` never finished collecting on a loaded machine).
 *
 * Real nats-server; the sweep is held inside its listing (the lease listing that follows the run
 * listing) until the new run is being served, so the race happens every time instead of by chance.
 */
import pino from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createNatsBus, type NatsBus } from "../../sdk/bus/nats/index.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { startWorker, type Worker } from "../../sdk/worker/worker.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { Tally } from "../helpers/wait.js";

type Line = { msg: string; runId?: string };

const double = pipeline("sweep-race").code("a", (task) => ({ content: `n=${Number(task.row!.n) * 2}` }));

describeWithNats("a worker's sweep and a run registered while it lists", () => {
  let server: NatsServerHandle;
  let driverBus: NatsBus;
  let worker: Worker;
  /** The worker's log lines, and the waits on one to come. */
  const lines: Line[] = [];
  const waits: Array<{ match: (line: Line) => boolean; resolve: () => void }> = [];
  const logger = pino(
    { level: "info" },
    {
      write: (text: string) => {
        const line = JSON.parse(text) as Line;
        lines.push(line);
        for (const wait of waits.filter((w) => w.match(line))) wait.resolve();
      },
    },
  );
  const logged = (match: (line: Line) => boolean) =>
    lines.some(match) ? Promise.resolve() : new Promise<void>((resolve) => waits.push({ match, resolve }));
  /** Sweeps that reached the lease listing (their run listing is done). */
  const listings = new Tally();
  let hold: Promise<void> | undefined;
  let release!: () => void;

  beforeAll(async () => {
    server = await startNatsServer();
    driverBus = await createNatsBus({ servers: [server.url] });
    const workerBus = await createNatsBus({ servers: [server.url] });
    // Every sweep lists the run registry, then the leases: holding the lease listing holds a sweep
    // whose view of the registry is already taken.
    const leases = await workerBus.leases();
    const list = leases.list.bind(leases);
    leases.list = async () => {
      listings.add();
      if (hold) await hold;
      return list();
    };
    worker = await startWorker({ bus: workerBus, id: "sweeper", sweepMs: 200, logger });
  });

  afterAll(async () => {
    release?.();
    await worker?.drain();
    await driverBus?.close();
    await server?.dispose();
  });

  it("keeps serving the run: the sweep leaves only runs it knew before it listed", async () => {
    hold = new Promise((resolve) => (release = resolve));
    // A sweep is now inside its listing, and the registry it saw has no run yet.
    await listings.reached(listings.count + 1);
    // The run stays open (its last rows wait) until the checks below are done.
    let finishFeeding!: () => void;
    const feedingMayEnd = new Promise<void>((resolve) => (finishFeeding = resolve));
    async function* source() {
      for (let i = 0; i < 20; i++) {
        if (i === 10) await feedingMayEnd;
        yield { id: `r${i}`, n: i };
      }
    }
    const run = double.run({ source: source(), bus: driverBus });
    await logged((line) => line.msg === "serving run" && line.runId === run.runId);
    // Let the held sweeps finish, and wait for a sweep that starts afterwards: the held ones are done.
    hold = undefined;
    release();
    const after = listings.count;
    await listings.reached(after + 1);
    expect(lines.filter((line) => line.msg.startsWith("run withdrawn") && line.runId === run.runId)).toEqual([]);
    expect(worker.activeRuns()).toContain(run.runId);
    finishFeeding();
    expect((await run.done()).counts.done).toBe(20);
  });
});
