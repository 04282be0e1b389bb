/**
 * `pipeline.run({ bus: "nats" })` from the SDK: the run connects with the given settings, and with
 * `localAgents` this process serves the roles itself (a one-machine NATS run, as a notebook would do
 * before starting workers elsewhere).
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";

describeWithNats("run over NATS from the SDK", () => {
  let server: NatsServerHandle;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("runs every row through three roles exactly once with bus: 'nats'", async () => {
    const p = pipeline("sdk-nats")
      .code("a", (task) => ({ state: { a: Number(task.row!.n) + 1 } }))
      .code("b", (task) => ({ state: { b: (task.state.a as number) * 2 } }))
      .code("c", (task) => ({ content: `b=${task.state.b}` }));
    const rows = Array.from({ length: 200 }, (_, i) => ({ id: `n${i}`, n: i }));
    const run = p.run({ source: rows, bus: "nats", nats: { servers: server.url }, localAgents: true });
    const summary = await run.done();
    expect(summary.counts).toEqual({ done: 200, failed: 0, filtered: 0 });
    const ids = run.results().map((task) => task.id);
    expect(new Set(ids).size).toBe(200);
    for (const task of run.results()) expect(task.state.b).toBe((Number(task.row!.n) + 1) * 2);
  });

  it("fails clearly when the NATS server cannot be reached", async () => {
    const run = pipeline("sdk-nats-down")
      .code("a", () => ({}))
      .run({ source: [{ id: "x" }], bus: "nats", nats: { servers: "nats://127.0.0.1:1" }, localAgents: true });
    await expect(run.done()).rejects.toThrow(/127\.0\.0\.1:1/);
  });
});
