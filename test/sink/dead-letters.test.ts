/**
 * Dead letters you can fix and re-queue, on both buses: a failed task is listed with the role and the
 * error, edited (a merge patch of its state or row) and re-queued with its id kept; it completes, lands
 * once in output.jsonl, and drops out of the listing. Retried into a live run (the run's handle, or
 * the NATS control channel as `matrix dlq --nats --run` uses it) and from a finished run's directory.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNatsBus, requestRunControl, type NatsBus } from "../../sdk/bus/nats/index.js";
import { mergePatch, pipeline, readDeadLetters, retryDeadLetters, type Task } from "../../sdk/index.js";
import { startWorker } from "../../sdk/worker/worker.js";
import { readJsonl } from "../helpers/jsonl.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { runCli } from "../helpers/captured-cli.js";
import { tempDir } from "../helpers/temp-dir.js";

const matrix = (args: string[]) => runCli(args);

const solver = pipeline("dlq")
  .code("parse", (task) => ({ state: { x: Number(task.row!.x) } }))
  .code("solve", async (task) => {
    // A row named "slow" holds the run open until the test opens the gate.
    if (task.row!.id === "slow") await (globalThis as Record<string, unknown>).__dlqGate;
    const x = task.state.x as number;
    if (x < 0) throw new RangeError(`x must not be negative (got ${x})`);
    return { content: `sqrt=${Math.sqrt(x)}` };
  })
  .sequence("parse", "solve");

const rows = (xs: number[]) => xs.map((x, i) => ({ id: `r${i}`, x }));

function openGate(): () => void {
  let open!: () => void;
  (globalThis as Record<string, unknown>).__dlqGate = new Promise<void>((resolve) => (open = resolve));
  return open;
}

/** Resolves when `run` has dead-lettered `id`. */
function deadLettered(
  run: { deadLetters(): Task[]; subscribe(l: (e: { type: string }) => void): () => void },
  id: string,
) {
  return new Promise<void>((resolve) => {
    const check = () => {
      if (run.deadLetters().some((task) => task.id === id)) {
        stop();
        resolve();
      }
    };
    const stop = run.subscribe(check);
    check();
  });
}

function outputIds(out: string): string[] {
  return readJsonl<Task>(join(out, "output.jsonl")).map((task) => task.id);
}

describe("dead letters on the local bus", () => {
  it("merge patches follow RFC 7386", () => {
    expect(mergePatch({ a: 1, b: { c: 2, d: 3 } }, { b: { c: null, e: 4 }, f: [1] })).toEqual({
      a: 1,
      b: { d: 3, e: 4 },
      f: [1],
    });
  });

  it("a finished run's dead letters are listed, patched and re-queued: from the handle and from the directory", async () => {
    const out = tempDir();
    const run = solver.run({ source: rows([1, 4, -4, 9, 16, -9, 25, 36]), out });
    expect((await run.done()).counts).toEqual({ done: 6, failed: 2, filtered: 0 });
    const letters = readDeadLetters(out);
    expect(letters.map((letter) => [letter.id, letter.role, letter.error.name])).toEqual([
      ["r2", "solve", "AgentError"],
      ["r5", "solve", "AgentError"],
    ]);
    expect(letters[0]!.error.message).toContain("got -4");

    // From the handle: fix the state the failed role reads, continue from that role.
    const again = await run.retry(["r2"], { patch: { state: { x: 49 } } });
    expect(again).not.toBe(run);
    expect((await again.done()).counts).toEqual({ done: 1, failed: 0, filtered: 0 });
    const fixed = readJsonl<Task>(join(out, "output.jsonl")).find((task) => task.id === "r2")!;
    expect(fixed.history.at(-1)!.content).toBe("sqrt=7");
    expect(fixed.retries).toBe(1);
    expect(readDeadLetters(out).map((letter) => letter.id)).toEqual(["r5"]);

    // From the directory alone (as `matrix dlq retry --out`): fix the row, run from the start.
    const fromDir = retryDeadLetters({ out, ids: ["r5"], patch: { row: { x: 81 } }, from: "start" });
    expect((await fromDir.done()).counts.done).toBe(1);
    expect(readDeadLetters(out)).toEqual([]);
    expect(readDeadLetters(out, { all: true }).map((letter) => [letter.id, letter.resolved])).toEqual([
      ["r2", true],
      ["r5", true],
    ]);
    const ids = outputIds(out);
    expect(ids.sort()).toEqual(["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7"]);
  });

  it("a dead letter re-queued into a live run completes in that run", async () => {
    const open = openGate();
    const out = tempDir();
    const run = solver.run({
      source: [
        { id: "slow", x: 4 },
        { id: "neg", x: -1 },
        { id: "ok", x: 1 },
      ],
      out,
    });
    await deadLettered(run, "neg");
    const same = await run.retry(["neg"], { patch: { state: { x: 64 } } });
    expect(same).toBe(run);
    open();
    const summary = await run.done();
    expect(summary.counts).toEqual({ done: 3, failed: 0, filtered: 0 });
    expect(outputIds(out).sort()).toEqual(["neg", "ok", "slow"]);
    expect(run.deadLetters()).toEqual([]);
    await expect(run.retry(["ok"])).rejects.toThrow(/not dead letters/);
  });
});

describeWithNats("dead letters on NATS", () => {
  let server: NatsServerHandle;
  let bus: NatsBus;
  let cli: NatsBus;
  beforeAll(async () => {
    server = await startNatsServer();
    bus = await createNatsBus({ servers: [server.url] });
    cli = await createNatsBus({ servers: [server.url] });
  });
  afterAll(async () => {
    await cli?.close();
    await bus?.close();
    await server?.dispose();
  });

  it("listed, shown and re-queued over the run's control channel (matrix dlq --nats --run), exactly once", async () => {
    const open = openGate();
    const out = tempDir();
    const run = solver.run({
      source: [{ id: "slow", x: 4 }, { id: "neg", x: -1 }, ...rows([1, 4])],
      out,
      bus,
      localAgents: true,
      runId: "dlq-live",
    });
    await deadLettered(run, "neg");
    const listed = (await requestRunControl(cli.connection, "dlq-live", { op: "list" })) as Array<{
      id: string;
      role: string;
    }>;
    expect(listed.map((letter) => [letter.id, letter.role])).toEqual([["neg", "solve"]]);
    const shown = (await requestRunControl(cli.connection, "dlq-live", { op: "show", id: "neg" })) as Task;
    expect(shown.state.x).toBe(-1);
    await expect(requestRunControl(cli.connection, "dlq-live", { op: "show", id: "nope" })).rejects.toThrow(
      /no dead letter 'nope'/,
    );
    const queued = await requestRunControl(cli.connection, "dlq-live", {
      op: "retry",
      ids: ["neg"],
      patch: { state: { x: 100 } },
    });
    expect(queued).toEqual({ queued: ["neg"], runId: "dlq-live" });
    open();
    expect((await run.done()).counts).toEqual({ done: 4, failed: 0, filtered: 0 });
    const written = readJsonl<Task>(join(out, "output.jsonl"));
    expect(written.map((task) => task.id).sort()).toEqual(["neg", "r0", "r1", "slow"]);
    expect(written.find((task) => task.id === "neg")!.history.at(-1)!.content).toBe("sqrt=10");
    expect(readDeadLetters(out)).toEqual([]);
    // The run is over: nobody answers for it any more.
    await expect(requestRunControl(cli.connection, "dlq-live", { op: "list" }, 2000)).rejects.toThrow(/no live run/);
  });

  it("matrix dlq list|show|retry --nats --run against a live run whose tasks a worker serves", async () => {
    const worker = await startWorker({
      bus: await createNatsBus({ servers: [server.url] }),
      id: "dlq-w",
      heartbeatMs: 1000,
    });
    const open = openGate();
    try {
      const out = tempDir();
      const run = solver.run({
        source: [{ id: "slow", x: 4 }, { id: "neg", x: -25 }, ...rows([9])],
        out,
        bus,
        runId: "dlq-cli",
      });
      await deadLettered(run, "neg");
      const nats = ["--nats", server.url, "--run", "dlq-cli"];
      const list = await matrix(["dlq", "list", ...nats]);
      expect(list.code, list.err).toBe(0);
      expect(list.out).toMatch(/^neg\tsolve\t0\t0\topen\tAgentError: .*got -25/m);
      const show = await matrix(["dlq", "show", "neg", ...nats]);
      expect(JSON.parse(show.out)).toMatchObject({ id: "neg", status: "failed", state: { x: -25 } });
      const retry = await matrix(["dlq", "retry", "neg", ...nats, "--patch", '{"state":{"x":25}}']);
      expect(retry.code, retry.err).toBe(0);
      expect(JSON.parse(retry.out)).toEqual({ queued: ["neg"], runId: "dlq-cli" });
      open();
      expect((await run.done()).counts).toEqual({ done: 3, failed: 0, filtered: 0 });
      const written = readJsonl<Task>(join(out, "output.jsonl"));
      expect(written.map((task) => task.id).sort()).toEqual(["neg", "r0", "slow"]);
      expect(written.find((task) => task.id === "neg")!.history.at(-1)!.content).toBe("sqrt=5");
      // The worker, not this process's driver, ran the retried hop.
      expect(written.find((task) => task.id === "neg")!.history.at(-1)!.agent).toMatch(/^dlq-w\//);
      expect(readDeadLetters(out)).toEqual([]);
      expect((await matrix(["dlq", "list", ...nats])).err).toContain("no live run");
    } finally {
      open();
      await worker.drain();
    }
  });

  it("a finished NATS run's dead letter is retried from its directory over NATS", async () => {
    const out = tempDir();
    const run = solver.run({ source: rows([4, -9]), out, bus, localAgents: true });
    expect((await run.done()).counts.failed).toBe(1);
    const again = retryDeadLetters({ out, patch: { state: { x: 9 } }, bus, localAgents: true });
    expect((await again.done()).counts).toEqual({ done: 1, failed: 0, filtered: 0 });
    expect(outputIds(out).sort()).toEqual(["r0", "r1"]);
    expect(readDeadLetters(out)).toEqual([]);
  });
});
