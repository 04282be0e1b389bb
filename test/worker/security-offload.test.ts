/**
 * Security and offloading on a real nats-server: refused credentials give a named error and leak
 * nothing; large turns and rows travel as references, agents read them restored (as on the local bus),
 * they go on by their refs, the output holds full content, and the run's buckets are gone afterwards.
 */
import { Writable } from "node:stream";
import { join } from "node:path";
import { readFileSync } from "node:fs";
import { Objm } from "@nats-io/obj";
import pino from "pino";
import { afterAll, beforeAll, expect, it } from "vitest";
import { NatsAuthError } from "../../sdk/errors.js";
import { createNatsBus, natsConnectionOptions, natsNames } from "../../sdk/bus/nats/index.js";
import { REDACTED_PATHS } from "../../sdk/logger.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import type { Task } from "../../sdk/schema/task.js";
import { startWorker } from "../../sdk/worker/worker.js";
import { readJsonl } from "../helpers/jsonl.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { tempDir } from "../helpers/temp-dir.js";
import { spawnWorker } from "../helpers/worker-process.js";

const PASSWORD = "s3cret-Pa55word-xyz";
const USER = "matrixuser";

function captureLogger() {
  let text = "";
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  });
  const logger = pino({ level: "trace", redact: { paths: REDACTED_PATHS, censor: "[redacted]" } }, stream);
  return { logger, text: () => text };
}

describeWithNats("NATS security: credentials", () => {
  let server: NatsServerHandle;
  beforeAll(async () => {
    server = await startNatsServer({ args: ["--user", USER, "--pass", PASSWORD] });
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("wrong credentials are refused with NatsAuthError, which names the server but not the secret", async () => {
    const options = natsConnectionOptions(
      { servers: server.url },
      { NATS_USER: USER, NATS_PASSWORD: "wrong-password" },
    );
    const error = await createNatsBus(options).catch((e: unknown) => e);
    expect(NatsAuthError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(server.url);
    expect((error as Error).message).not.toContain("wrong-password");
    const none = await createNatsBus({ servers: [server.url] }).catch((e: unknown) => e);
    expect(NatsAuthError.isInstance(none)).toBe(true);
  });

  it("a worker process with wrong credentials exits 1 with a clear message", async () => {
    const worker = spawnWorker(["--nats", `nats://${USER}:bad-password@127.0.0.1:${server.port}`]);
    expect(await worker.exited).toBe(1);
    expect(worker.log).toContain("NatsAuthError");
    expect(worker.log).toContain(`nats://127.0.0.1:${server.port}`);
    expect(worker.log).not.toContain("bad-password");
  });

  it("with the right credentials a run completes, and no credential is in logs, tasks or output", async () => {
    const logs = captureLogger();
    const env = { NATS_URL: server.url, NATS_USER: USER, NATS_PASSWORD: PASSWORD };
    const driverBus = await createNatsBus({ ...natsConnectionOptions({}, env), logger: logs.logger });
    const workerBus = await createNatsBus({ ...natsConnectionOptions({}, env), logger: logs.logger });
    const worker = await startWorker({ bus: workerBus, id: "secure-worker", logger: logs.logger });
    try {
      const out = tempDir();
      const p = pipeline("secure")
        .code("a", (task) => ({ content: `hello ${task.row!.id}` }))
        .code("b", (task) => {
          if (task.row!.id === "r3") throw new Error("r3 fails");
          return {};
        })
        .options({ maxAttempts: 2 });
      const rows = Array.from({ length: 20 }, (_, i) => ({ id: `r${i}` }));
      const summary = await p.run({ source: rows, out, bus: driverBus, logger: logs.logger }).done();
      expect(summary.counts.done).toBe(19);
      logs.logger.info({ options: natsConnectionOptions({}, env) }, "connection options (must be redacted)");
      const everything = [
        logs.text(),
        readFileSync(join(out, "output.jsonl"), "utf8"),
        readFileSync(join(out, "dead-letters.jsonl"), "utf8"),
        readFileSync(join(out, "summary.json"), "utf8"),
      ].join("\n");
      expect(logs.text().length).toBeGreaterThan(0);
      expect(everything).not.toContain(PASSWORD);
    } finally {
      await worker.drain();
      await driverBus.close();
    }
  });
});

describeWithNats("offloading large content to the run's content buckets", () => {
  let server: NatsServerHandle;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("large turns and rows travel as references, agents read them, the output is whole, buckets are gone after", async () => {
    const driverBus = await createNatsBus({ servers: [server.url], offloadThreshold: 1024 });
    // The worker's own default is "never offload": it must follow the threshold the run carries.
    const workerBus = await createNatsBus({ servers: [server.url], offloadThreshold: 0 });
    const worker = await startWorker({ bus: workerBus, id: "offload-worker" });
    const runId = "offload-run";
    try {
      const out = tempDir();
      const p = pipeline("offload")
        .code("writer", (task) => ({ content: `${task.row!.id}:${"x".repeat(5000)}` }))
        .code("reader", async (task, ctx) => {
          const turn = task.history[0]!;
          const text = await ctx.content(turn);
          return {
            state: {
              // Read as on the local bus: the turn was restored before the hop (it used to be null here).
              directLength: turn.content?.length ?? -1,
              hadRef: turn.contentRef !== undefined,
              readLength: text?.length ?? -1,
              rowBigLength: String(task.row!.big).length,
            },
          };
        });
      const rows = Array.from({ length: 30 }, (_, i) => ({ id: `r${i}`, big: "y".repeat(3000) }));
      const run = p.run({ source: rows, out, bus: driverBus, runId });
      const summary = await run.done();
      expect(summary.counts.done).toBe(30);
      const written = readJsonl<Task>(join(out, "output.jsonl"));
      for (const task of written) {
        const length = 5000 + task.id.length + 1;
        expect(task.state).toMatchObject({ directLength: length, hadRef: true, readLength: length });
        expect(task.state.rowBigLength).toBe(3000);
        expect(task.history[0]!.content).toBe(`${task.id}:${"x".repeat(5000)}`);
        expect(task.history[0]!.contentRef).toBeUndefined();
        expect(task.row!.big).toBe("y".repeat(3000));
        expect(task.rowRef).toBeUndefined();
      }
      // The driver stored the 30 rows; the worker stored the 30 large turns and reused the row refs.
      expect(driverBus.content.stats.offloaded).toBe(30);
      expect(workerBus.content.stats.offloaded).toBe(30);
      // The restored turns and rows went on by their refs: no message of the worker's carried 3,000 bytes.
      expect(workerBus.stats.published).toBe(60);
      expect(workerBus.stats.publishedBytes / workerBus.stats.published).toBeLessThan(2500);
      // The driver's sink read every offloaded turn back from the server (rows it stored itself are cached).
      expect(driverBus.content.stats.fetched).toBeGreaterThanOrEqual(30);
      const buckets: string[] = [];
      for await (const status of new Objm(driverBus.connection).list()) buckets.push(status.bucket);
      expect(buckets).not.toContain(natsNames.objects(runId));
      const jsm = await driverBus.jsm();
      await expect(jsm.streams.info(natsNames.content(runId))).rejects.toThrow(/not found/i);
    } finally {
      await worker.drain();
      await driverBus.close();
    }
  });
});
