/**
 * The run's LLM travels with the run: `matrix worker` processes started with no LLM settings at all
 * send every chat call of a run to the URL its driver chose (counted at an HTTP fake); a worker that
 * cannot use that LLM (its key variable unset, or the URL unreachable) takes none of the run's tasks
 * and the driver's progress says why; a simulator run gives every worker the same simulator
 * settings; a worker's own --llm / OPENAI_BASE_URL serve only runs that leave the choice to workers,
 * and a `registered` run uses the endpoints registered on NATS; and a worker under concurrent chat
 * load prints no MaxListenersExceededWarning.
 */
import { join } from "node:path";
import { afterAll, beforeAll, expect, it, onTestFinished } from "vitest";
import { createNatsBus, type NatsBus } from "../../sdk/bus/nats/index.js";
import { registerEndpoint } from "../../sdk/bus/nats/endpoint-registry.js";
import { names } from "../../sdk/bus/nats/names.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import type { Task } from "../../sdk/schema/task.js";
import { startWorker } from "../../sdk/worker/worker.js";
import { startFakeServer, type FakeReply, type FakeRequest, type FakeServer } from "../llm/fake-openai-server.js";
import { readJsonl } from "../helpers/jsonl.js";
import { describeWithNats, freePort, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { tempDir } from "../helpers/temp-dir.js";
import { testLogger } from "../helpers/test-logger.js";
import { untilProgress } from "../helpers/wait.js";
import { spawnWorker, waitForLine, waitForReady, type WorkerProcess } from "../helpers/worker-process.js";

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, n: i }));
const chatCalls = (fake: FakeServer) => fake.requests.filter((request) => Array.isArray(request.body.messages));

/** Each worker below takes at most this many tasks at once (and pulls at most as many more ahead). */
const WORKER_CONCURRENCY = 16;

/**
 * A fake LLM that holds its chat replies until more calls are open than one worker may make at once:
 * then both workers are calling it, whichever of them saw the run first (on a loaded machine one worker
 * could otherwise finish a small run alone). A run needs over twice WORKER_CONCURRENCY rows per worker
 * for this, or the first worker could pull every task.
 */
async function startFakeForBothWorkers(reply: (request: FakeRequest) => FakeReply): Promise<FakeServer> {
  let open = 0;
  let release!: () => void;
  const bothCalling = new Promise<void>((resolve) => (release = resolve));
  return startFakeServer(async (request) => {
    if (Array.isArray(request.body.messages) && ++open > WORKER_CONCURRENCY) release();
    if (Array.isArray(request.body.messages)) await bothCalling;
    return reply(request);
  });
}

/** No LLM settings at all: without the run's choice these workers would start their own simulator. */
const NO_LLM_ENV = { OPENAI_BASE_URL: "", OPENAI_BASE_URLS: "", OPENAI_API_KEY: "", OPENAI_MODEL: "" };

const askThenTag = pipeline("llm-travels")
  .chat("ask", { prompt: "Say {{row.id}}" })
  .code("tag", (task) => ({ state: { said: task.history.at(-1)?.content } }));

describeWithNats("the run's LLM reaches every worker", () => {
  let server: NatsServerHandle;
  let bus: NatsBus;
  const workers: WorkerProcess[] = [];
  const spawn = async (id: string, env: NodeJS.ProcessEnv = {}) => {
    const worker = spawnWorker(["--nats", server.url, "--id", id, "--concurrency", `${WORKER_CONCURRENCY}`], {
      ...NO_LLM_ENV,
      MATRIX_LOG_LEVEL: "info",
      ...env,
    });
    workers.push(worker);
    await waitForReady(worker);
    return worker;
  };

  beforeAll(async () => {
    server = await startNatsServer();
    bus = await createNatsBus({ servers: [server.url] });
    // w-key has the endpoint key variable the second test's run names; w-nokey does not.
    await Promise.all([spawn("w-key", { GPU_KEY: "k-123" }), spawn("w-nokey")]);
  }, 90_000);

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill("SIGKILL");
    await bus?.close();
    await server?.dispose();
  });

  it("workers with no LLM settings send every chat call of a `llm: URL` run to that URL", async () => {
    const fake = await startFakeForBothWorkers((request) => ({
      content: `fake says ${request.body.messages?.at(-1).content}`,
    }));
    onTestFinished(() => fake.close());
    const out = tempDir();
    const starts: string[] = [];
    const run = askThenTag.run({ source: rows(40), out, bus, llm: fake.baseUrl, model: "fake-model" });
    run.subscribe((event) => {
      if (event.type === "run-start" && event.llm) starts.push(event.llm);
    });
    const summary = await run.done();
    expect(summary.counts).toEqual({ done: 40, failed: 0, filtered: 0 });
    // The driver said which LLM the workers use.
    expect(starts).toEqual([expect.stringContaining(fake.baseUrl.replace(/\/$/, ""))]);
    // Exactly one chat call per row reached the URL, and every reply in the output is the fake's.
    expect(chatCalls(fake)).toHaveLength(40);
    const written = readJsonl<Task>(join(out, "output.jsonl"));
    expect(written).toHaveLength(40);
    for (const task of written) expect(task.state.said).toBe(`fake says Say ${task.id}`);
    // Both workers served the run (neither fell back to a simulator of its own).
    const agents = new Set(written.map((task) => task.history[0]!.agent.split("/")[0]));
    expect(agents).toEqual(new Set(["w-key", "w-nokey"]));
  });

  it("a worker that cannot use the run's LLM (its key variable unset) takes none of its tasks; the driver shows why", async () => {
    // The endpoint wants the key the run names in apiKeyEnv: w-key has it, w-nokey does not.
    let release!: () => void;
    const refusalSeen = new Promise<void>((resolve) => (release = resolve));
    const fake = await startFakeServer(async (request) => {
      if (request.headers.authorization !== "Bearer k-123") return { kind: "error", status: 401, message: "bad key" };
      // Hold the replies until the driver has heard w-nokey's reason, so the run cannot end first.
      await refusalSeen;
      return { content: "ok" };
    });
    onTestFinished(() => fake.close());
    const out = tempDir();
    const run = askThenTag.run({
      source: rows(30),
      out,
      bus,
      llm: { endpoints: [{ baseUrl: fake.baseUrl, apiKeyEnv: "GPU_KEY" }], defaultModel: "fake-model" },
    });
    await untilProgress(run, (progress) => progress.workerErrors?.["w-nokey"] !== undefined);
    const why = run.progress().workerErrors!["w-nokey"]!;
    expect(why.reason).toBe("llm");
    expect(why.message).toMatch(/401/);
    expect(why.message).toContain("GPU_KEY");
    release();
    const summary = await run.done();
    expect(summary.counts.done).toBe(30);
    const written = readJsonl<Task>(join(out, "output.jsonl"));
    expect(new Set(written.flatMap((task) => task.history.map((turn) => turn.agent.split("/")[0])))).toEqual(
      new Set(["w-key"]),
    );
    // Every chat call carried the key from w-key's own environment; none came without it.
    expect(chatCalls(fake).every((request) => request.headers.authorization === "Bearer k-123")).toBe(true);
    expect(chatCalls(fake)).toHaveLength(30);
    expect(workers.find((w) => w.child.spawnargs.includes("w-nokey"))!.log).toContain("cannot reach the run's LLM");
  });

  it("an unreachable LLM: no worker takes a task, both say why, and the driver can cancel", async () => {
    const dead = `http://127.0.0.1:${await freePort()}/v1`;
    const out = tempDir();
    // The source says when the driver asked past its last row: every row before was published.
    let allFed!: () => void;
    const fed = new Promise<void>((resolve) => (allFed = resolve));
    async function* source() {
      yield* rows(5);
      allFed();
    }
    const run = askThenTag.run({ source: source(), out, bus, llm: dead });
    await untilProgress(run, (p) => Object.keys(p.workerErrors ?? {}).length === 2);
    for (const error of Object.values(run.progress().workerErrors!)) {
      expect(error.reason).toBe("llm");
      expect(error.message).toMatch(/unreachable|ECONNREFUSED/);
      // The advice fits a worker: its own LLM settings would not change the run's choice.
      expect(error.message).toContain("The run's driver chose these endpoints");
      expect(error.message).not.toContain("set neither");
    }
    await fed;
    // Every task waits in the entry role's queue: nobody pulled one.
    const info = await (await bus.jsm()).consumers.info(names.stream(run.runId), names.consumer("ask"));
    expect(info.num_pending).toBe(5);
    expect(info.num_ack_pending).toBe(0);
    expect(info.delivered.consumer_seq).toBe(0);
    const summary = await run.cancel();
    expect(summary.counts.done).toBe(0);
  });

  it("a simulator run gives every worker the simulator settings the driver chose", async () => {
    const out = tempDir();
    const run = askThenTag.run({
      source: rows(60),
      out,
      bus,
      llm: "simulator",
      simulator: { profile: "llama-3.1-70b-4xh100", speed: 20, seed: 7 },
    });
    const summary = await run.done();
    expect(summary.counts.done).toBe(60);
    const written = readJsonl<Task>(join(out, "output.jsonl"));
    // Every reply came from the 70B profile's model: no worker answered with its own default simulator.
    expect(new Set(written.map((task) => task.history[0]!.model))).toEqual(
      new Set(["meta-llama/Llama-3.1-70B-Instruct"]),
    );
    // Each worker started the run's simulator with the driver's settings, whether or not a loaded
    // machine let it take any of the 60 tasks before the other finished them.
    const started = new RegExp(
      `"runId":"${run.runId}".*built-in simulator \\(profile llama-3\\.1-70b-4xh100, speed 20\\).*"using the run's LLM"`,
    );
    await Promise.all(workers.map((worker) => waitForLine(worker, started)));
  });
});

describeWithNats("a worker's own LLM settings apply only to runs that leave the choice to workers", () => {
  let server: NatsServerHandle;
  let bus: NatsBus;
  /** The workers' own LLMs: one named by --llm, one by OPENAI_BASE_URL. */
  let own: FakeServer;
  let ownEnv: FakeServer;
  const workers: WorkerProcess[] = [];

  beforeAll(async () => {
    server = await startNatsServer();
    bus = await createNatsBus({ servers: [server.url] });
    own = await startFakeServer(() => ({ content: "own flag" }));
    ownEnv = await startFakeServer(() => ({ content: "own env" }));
    const spawn = async (args: string[], env: NodeJS.ProcessEnv) => {
      const worker = spawnWorker(["--nats", server.url, "--concurrency", `${WORKER_CONCURRENCY}`, ...args], {
        ...NO_LLM_ENV,
        MATRIX_LOG_LEVEL: "info",
        ...env,
      });
      workers.push(worker);
      await waitForReady(worker);
    };
    await Promise.all([
      spawn(["--id", "w-flag", "--llm", own.baseUrl, "--model", "own-model"], {}),
      spawn(["--id", "w-env"], { OPENAI_BASE_URL: ownEnv.baseUrl, OPENAI_MODEL: "env-model" }),
    ]);
  }, 90_000);

  afterAll(async () => {
    for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill("SIGKILL");
    await bus?.close();
    await own?.close();
    await ownEnv?.close();
    await server?.dispose();
  });

  const agentsOf = (out: string) =>
    new Set(readJsonl<Task>(join(out, "output.jsonl")).map((task) => task.history[0]!.agent.split("/")[0]));

  it("a `llm: URL` run goes to URL only, whatever the worker's --llm or OPENAI_BASE_URL says", async () => {
    const runLlm = await startFakeForBothWorkers(() => ({ content: "the run's" }));
    onTestFinished(() => runLlm.close());
    const [ownBefore, envBefore] = [chatCalls(own).length, chatCalls(ownEnv).length];
    const out = tempDir();
    const summary = await askThenTag
      .run({ source: rows(40), out, bus, llm: runLlm.baseUrl, model: "run-model" })
      .done();
    expect(summary.counts.done).toBe(40);
    expect(chatCalls(runLlm)).toHaveLength(40);
    expect(chatCalls(runLlm).every((request) => request.body.model === "run-model")).toBe(true);
    expect(chatCalls(own).length - ownBefore).toBe(0);
    expect(chatCalls(ownEnv).length - envBefore).toBe(0);
    expect(agentsOf(out)).toEqual(new Set(["w-flag", "w-env"]));
  });

  it("a `llm: 'workers'` run uses each worker's own: --llm with --model, else OPENAI_BASE_URL with OPENAI_MODEL", async () => {
    const [ownBefore, envBefore] = [chatCalls(own).length, chatCalls(ownEnv).length];
    const out = tempDir();
    const starts: string[] = [];
    const run = askThenTag.run({ source: rows(40), out, bus, llm: "workers" });
    run.subscribe((event) => {
      if (event.type === "run-start" && event.llm) starts.push(event.llm);
    });
    expect((await run.done()).counts.done).toBe(40);
    expect(starts).toEqual([expect.stringContaining("each worker's own LLM")]);
    const written = readJsonl<Task>(join(out, "output.jsonl"));
    const byWorker = (id: string) => written.filter((task) => task.history[0]!.agent.startsWith(`${id}/`));
    // Each worker answered with its own LLM and model; together they answered every row.
    for (const task of byWorker("w-flag"))
      expect([task.state.said, task.history[0]!.model]).toEqual(["own flag", "own-model"]);
    for (const task of byWorker("w-env"))
      expect([task.state.said, task.history[0]!.model]).toEqual(["own env", "env-model"]);
    expect(chatCalls(own).length - ownBefore).toBe(byWorker("w-flag").length);
    expect(chatCalls(ownEnv).length - envBefore).toBe(byWorker("w-env").length);
    expect(byWorker("w-flag").length + byWorker("w-env").length).toBe(40);
  });

  it("a `llm: 'registered'` run uses the endpoints registered on NATS, and the driver names them", async () => {
    const registered = await startFakeServer(() => ({ content: "registered" }));
    onTestFinished(() => registered.close());
    await registerEndpoint(bus.connection, { url: registered.baseUrl, model: "reg-model", kind: "other" });
    // (The entry stays until this block's server goes: no later test here asks for registered endpoints.)
    const [ownBefore, envBefore] = [chatCalls(own).length, chatCalls(ownEnv).length];
    const out = tempDir();
    const starts: string[] = [];
    const run = askThenTag.run({ source: rows(20), out, bus, llm: "registered" });
    run.subscribe((event) => {
      if (event.type === "run-start" && event.llm) starts.push(event.llm);
    });
    expect((await run.done()).counts.done).toBe(20);
    expect(starts).toEqual([expect.stringContaining(`${registered.baseUrl} (reg-model)`)]);
    expect(chatCalls(registered)).toHaveLength(20);
    expect(chatCalls(registered).every((request) => request.body.model === "reg-model")).toBe(true);
    expect(chatCalls(own).length - ownBefore).toBe(0);
    expect(chatCalls(ownEnv).length - envBefore).toBe(0);
  });
});

describeWithNats("a worker under concurrent chat load", () => {
  let server: NatsServerHandle;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("holds more than ten LLM calls at once without a MaxListenersExceededWarning", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    onTestFinished(() => void process.off("warning", onWarning));
    const fake = await startFakeServer(() => ({ content: "slow", delayMs: 100 }));
    onTestFinished(() => fake.close());
    const driverBus = await createNatsBus({ servers: [server.url] });
    const worker = await startWorker({
      bus: await createNatsBus({ servers: [server.url] }),
      id: "load",
      concurrency: 48,
      logger: testLogger().logger,
    });
    onTestFinished(async () => {
      await worker.drain();
      await driverBus.close();
    });
    const summary = await askThenTag
      .run({ source: rows(120), bus: driverBus, llm: fake.baseUrl, model: "fake-model", maxInFlight: 120 })
      .done();
    expect(summary.counts.done).toBe(120);
    // The load the warning came from: many calls in flight on the run's one abort signal.
    expect(fake.maxInFlight).toBeGreaterThan(10);
    expect(warnings.filter((warning) => warning.name === "MaxListenersExceededWarning")).toEqual([]);
  });

  it("so does the driver's own agents' run signal (local bus)", async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on("warning", onWarning);
    onTestFinished(() => void process.off("warning", onWarning));
    const fake = await startFakeServer(() => ({ content: "slow", delayMs: 100 }));
    onTestFinished(() => fake.close());
    const summary = await askThenTag
      .run({ source: rows(60), llm: fake.baseUrl, model: "fake-model", concurrency: 48, logger: testLogger().logger })
      .done();
    expect(summary.counts.done).toBe(60);
    expect(fake.maxInFlight).toBeGreaterThan(10);
    expect(warnings.filter((warning) => warning.name === "MaxListenersExceededWarning")).toEqual([]);
  });
});
