/**
 * The run registry's watch on a real nats-server: entries of one run are handled in order, and a
 * run whose handler is still busy (a withdrawal waiting for its hops) does not hold back another.
 *
 * Where you are: `test/bus/`, mirroring `sdk/bus/nats/run-registry.ts` (workers serving and leaving
 * runs through the watch are in `test/worker/`).
 */
import { expect, it } from "vitest";
import { deleteRun, openKv, putRun, watchRuns, type RunRecord } from "../../sdk/bus/nats/run-registry.js";
import { describeWithNats, natsConnectionForSuite } from "../helpers/nats-server.js";

const record = (runId: string): RunRecord =>
  ({
    runId,
    definition: { name: runId, roles: {} },
    bus: { offloadThreshold: 0 },
    created: Date.now(),
    driver: { host: "test", pid: 1 },
  }) as unknown as RunRecord;

/** A promise with its resolve, to hold a handler until the test lets it go. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

describeWithNats("run registry watch", () => {
  const suite = natsConnectionForSuite();

  it("handles one run's entries in order, and another run's without waiting for a busy one", async () => {
    const kv = await openKv(suite.nc, "registry_watch_test");
    const seen: string[] = [];
    const putOfA = gate();
    const deleteOfA = gate();
    const bStarted = gate();
    const watching = gate();
    const stop = await watchRuns(kv, {
      onPut: async (run) => {
        if (run.runId === "ready") return watching.open();
        seen.push(`put ${run.runId}`);
        if (run.runId === "a") await putOfA.promise;
        if (run.runId === "b") bStarted.open();
      },
      onDelete: async (key) => {
        seen.push(`delete ${key}`);
        if (key === "a") await deleteOfA.promise;
      },
      onError: (error) => seen.push(`error ${String(error)}`),
    });
    try {
      // The watch's consumer may start after watch() resolves; one that started after a's put and delete
      // would see only the delete (the last value). A first entry seen says it is on.
      await putRun(kv, record("ready"));
      await watching.promise;
      await putRun(kv, record("a"));
      await deleteRun(kv, "a");
      await putRun(kv, record("b"));
      // a's put is held: its delete waits for it, while b is served meanwhile.
      await bStarted.promise;
      expect(seen).toEqual(["put a", "put b"]);
      putOfA.open();
      await expect.poll(() => seen.length, { timeout: 60_000 }).toBe(3);
      expect(seen[2]).toBe("delete a");
      // a's delete is held now; b's withdrawal and c's start still go ahead.
      await deleteRun(kv, "b");
      await putRun(kv, record("c"));
      await expect.poll(() => seen.slice(3), { timeout: 60_000 }).toEqual(["delete b", "put c"]);
      deleteOfA.open();
    } finally {
      stop();
      putOfA.open();
      deleteOfA.open();
      await kv.destroy();
    }
  });
});
