/**
 * Logs: task-related lines carry the run, the role, the agent instance and the task id; no line ever
 * holds an API key, even when the key turns up inside an error message (a server echoing it, or a
 * handler's own exception).
 */
import { describe, expect, it } from "vitest";
import { createNatsBus, natsConnectionOptions } from "../sdk/bus/nats/index.js";
import { createLogger, pipeline } from "../sdk/index.js";
import { startWorker } from "../sdk/worker/worker.js";
import { startFakeServer } from "./llm/fake-openai-server.js";
import { describeWithNats, startNatsServer } from "./helpers/nats-server.js";

const KEY = "sk-test-0123456789abcdefXYZ";

describe("logs", () => {
  it("carry run, role, agent and task id, and never a key", async () => {
    let chats = 0;
    const server = await startFakeServer((request) =>
      request.body.messages && chats++ % 3 === 0
        ? { kind: "error", status: 500, message: `upstream rejected key ${request.headers.authorization}` }
        : { content: "fine" },
    );
    try {
      const lines: string[] = [];
      const logger = createLogger({ level: "debug", destination: { write: (line: string) => void lines.push(line) } });
      const p = pipeline("logged")
        .chat("ask", { prompt: "Hello {{row.id}}" })
        .code("flaky", (task, ctx) => {
          // Fails the first delivery with a retryable error whose text holds the key.
          if (task.attempt === 1) throw new Error(`temporary: ${ctx.params.leak}`);
          return { state: { ok: true } };
        })
        .params({ leak: KEY })
        .sequence("ask", "flaky");
      const run = p.run({
        source: [{ id: "a" }, { id: "b" }, { id: "c" }],
        llm: { endpoints: [{ baseUrl: server.baseUrl, apiKey: KEY }], defaultModel: "m", retry: { baseDelayMs: 1 } },
        logger,
        runId: "log-run",
      });
      const summary = await run.done();
      expect(summary.counts.done).toBe(3);
      const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
      const retried = records.filter((record) => record.msg === "hop failed; retrying");
      expect(retried.map((record) => record.taskId).sort()).toEqual(["a", "b", "c"]);
      for (const record of retried)
        expect(record).toMatchObject({ runId: "log-run", role: "flaky", agent: "local/flaky" });
      // The pool's retried attempts were logged (with the server's text, which echoed the key).
      const attempts = records.filter((record) => record.msg === "llm attempt failed");
      expect(attempts.length).toBeGreaterThan(0);
      for (const record of attempts) expect(record).toMatchObject({ runId: "log-run", role: "ask" });
      for (const record of records.filter((r) => r.taskId !== undefined)) {
        expect(record.runId).toBe("log-run");
        expect(typeof record.role).toBe("string");
      }
      const all = lines.join("");
      expect(all).toContain("temporary: ***");
      expect(all).not.toContain(KEY);
      expect(all).not.toContain(KEY.slice(0, 12));
    } finally {
      await server.close();
    }
  });
});

describeWithNats("logs of a NATS worker", () => {
  it("carry the run, role, agent, task id and worker, and never the NATS password", async () => {
    const password = "nats-secret-pass-0123456789";
    const server = await startNatsServer({ args: ["--user", "matrix", "--pass", password] });
    const lines: string[] = [];
    const logger = createLogger({ level: "debug", destination: { write: (line: string) => void lines.push(line) } });
    // As `matrix worker --nats nats://matrix:<password>@host` connects (the password is registered as a secret).
    const connect = () =>
      createNatsBus(natsConnectionOptions({ servers: `nats://matrix:${password}@127.0.0.1:${server.port}` }, {}));
    const worker = await startWorker({ bus: await connect(), id: "logw", heartbeatMs: 1000, logger });
    const driver = await connect();
    try {
      const p = pipeline("logged-nats")
        .code("flaky", (task, ctx) => {
          // A retryable failure whose text holds the password (a user's exception can hold anything).
          if (task.attempt === 1) throw new Error(`temporary: ${ctx.params.leak}`);
          return { state: { ok: true } };
        })
        .params({ leak: password });
      const run = p.run({ source: [{ id: "a" }, { id: "b" }], bus: driver, runId: "log-nats" });
      expect((await run.done()).counts.done).toBe(2);
    } finally {
      await worker.drain();
      await driver.close();
      await server.dispose();
    }
    const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const retried = records.filter((record) => record.msg === "hop failed; retrying");
    expect(retried.map((record) => record.taskId).sort()).toEqual(["a", "b"]);
    for (const record of retried)
      expect(record).toMatchObject({ runId: "log-nats", role: "flaky", agent: "logw/flaky", worker: "logw" });
    expect(records.some((record) => record.msg === "serving run" && record.runId === "log-nats")).toBe(true);
    const all = lines.join("");
    expect(all).toContain("temporary: ***");
    expect(all).not.toContain(password);
  });
});
