/**
 * Signed runs on a real nats-server with a `matrix worker` process that trusts one key: an unsigned
 * run, a run signed by another key and a run whose record was changed after signing are refused,
 * logged with the reason, shown in the driver's progress, and none of their code runs (a code role
 * and a module that would write marker files); a run signed by the trusted key completes. A worker
 * with no trusted keys says once at start that it runs any run's code.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createNatsBus, type NatsBus } from "../../sdk/bus/nats/index.js";
import { getRun, putRun } from "../../sdk/bus/nats/run-registry.js";
import { WorkerRegistry } from "../../sdk/bus/nats/worker-registry.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { signRunRecord, writeKeyPair, readSigningKey, type KeyPairFiles } from "../../sdk/trust/index.js";
import { startWorker } from "../../sdk/worker/worker.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { tempDir } from "../helpers/temp-dir.js";
import { testLogger } from "../helpers/test-logger.js";
import { untilProgress } from "../helpers/wait.js";
import { spawnWorker, waitForReady, type WorkerProcess } from "../helpers/worker-process.js";

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}` }));

/** Resolves once the worker has written `text` to its log (its stderr may lag behind NATS). */
function untilLogged(worker: WorkerProcess, text: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (!worker.log.includes(text)) return;
      worker.child.stderr!.off("data", check);
      resolve();
    };
    worker.child.stderr!.on("data", check);
    check();
  });
}

describeWithNats("signed runs: a worker with trusted keys", () => {
  let server: NatsServerHandle;
  let bus: NatsBus;
  let worker: WorkerProcess;
  let trusted: KeyPairFiles;
  let other: KeyPairFiles;
  let dir: string;
  /** Written by the code role (arbitrary code with process rights) and by the module when it loads. */
  let markers: { code: string; module: string };
  let hostile: ReturnType<typeof pipeline>;

  beforeAll(async () => {
    // Made here and removed in afterAll: a tempDir() made inside beforeAll is not removed.
    dir = mkdtempSync(join(tmpdir(), "matrix-test-"));
    trusted = writeKeyPair(join(dir, "trusted"));
    other = writeKeyPair(join(dir, "other"));
    markers = { code: join(dir, "code-ran"), module: join(dir, "module-loaded") };
    const modulePath = join(dir, "side-effect.ts");
    writeFileSync(
      modulePath,
      `import { appendFileSync } from "node:fs";\nappendFileSync(${JSON.stringify(markers.module)}, "loaded\\n");\nexport const mark = (id: string): string => \`seen \${id}\`;\n`,
    );
    hostile = pipeline("signed")
      .params({ marker: markers.code })
      .module("side", relative(process.cwd(), modulePath))
      .code("a", (task, ctx) => {
        // What an attacker's run would do: use the worker's process rights.
        (globalThis as any).process.getBuiltinModule("node:fs").appendFileSync(ctx.params.marker, `${task.id}\n`);
        return { content: ctx.modules.side.mark(task.id) };
      });
    server = await startNatsServer();
    bus = await createNatsBus({ servers: [server.url] });
    worker = spawnWorker(["--nats", server.url, "--id", "w-trust"], {
      MATRIX_TRUSTED_KEYS: trusted.publicKey,
      MATRIX_SIGNING_KEY: "",
      MATRIX_LOG_LEVEL: "info",
    });
    await waitForReady(worker);
  }, 60_000);

  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (worker?.child.exitCode === null) worker.child.kill("SIGKILL");
    await bus?.close();
    await server?.dispose();
  });

  const nothingRan = () => {
    expect(existsSync(markers.code)).toBe(false);
    expect(existsSync(markers.module)).toBe(false);
  };

  for (const [name, signingKey, reason] of [
    ["an unsigned run", undefined, "unsigned"],
    ["a run signed by a key the worker does not trust", "other", "untrusted-key"],
  ] as const) {
    it(`${name} is refused (${reason}): logged, shown to the driver, none of its code runs`, async () => {
      const run = hostile.run({
        source: rows(3),
        bus,
        ...(signingKey ? { signingKey: other.privateKey } : {}),
      });
      await untilProgress(run, (p) => p.workerErrors?.["w-trust"] !== undefined);
      expect(run.progress().workerErrors!["w-trust"]!.reason).toBe(reason);
      await untilLogged(worker, `refused run ${run.runId} (${reason})`);
      if (reason === "untrusted-key") expect(worker.log).toContain(other.keyId);
      expect((await run.cancel()).counts.done).toBe(0);
      nothingRan();
    });
  }

  it("a record changed after signing (another function, same signature) is refused as a bad signature", async () => {
    // The trusted key signed a harmless run; someone with write access to the registry swaps in the hostile code.
    const harmless = pipeline("signed").code("a", () => ({ content: "harmless" }));
    const record = {
      runId: "tampered-run",
      definition: { ...hostile.toJSON(), modules: undefined },
      bus: { offloadThreshold: 16384 },
      llm: { kind: "simulator" as const, settings: {} },
      created: Date.now(),
      driver: { host: "h", pid: 1 },
    };
    const signature = signRunRecord(
      { ...record, definition: { ...record.definition, roles: harmless.toJSON().roles } },
      readSigningKey(trusted.privateKey),
    );
    const runs = await bus.runs();
    const problems = await WorkerRegistry.open(bus.connection);
    const refused = new Promise<string>((resolve) => {
      void problems.watch((_key, heartbeat) => {
        const problem = heartbeat?.problems?.find((p) => p.runId === "tampered-run");
        if (problem) resolve(problem.reason);
      });
    });
    await putRun(runs, JSON.parse(JSON.stringify({ ...record, signature })));
    expect(await refused).toBe("bad-signature");
    await untilLogged(worker, "refused run tampered-run (bad-signature)");
    await runs.delete("tampered-run");
    nothingRan();
  });

  it("a run signed by the trusted key completes, and its code and module run", async () => {
    const run = hostile.run({ source: rows(4), bus, signingKey: trusted.privateKey });
    const summary = await run.done();
    expect(summary.counts.done).toBe(4);
    expect(
      run
        .results()
        .map((task) => task.history.at(-1)?.content)
        .sort(),
    ).toEqual(["seen r0", "seen r1", "seen r2", "seen r3"]);
    expect(readFileSync(markers.code, "utf8").split("\n").filter(Boolean).sort()).toEqual(["r0", "r1", "r2", "r3"]);
    expect(readFileSync(markers.module, "utf8")).toBe("loaded\n");
    // The record on NATS named the signing key (it is gone now: the run closed).
    expect(await getRun(await bus.runs(), run.runId)).toBeUndefined();
  });

  it("a worker without trusted keys warns once at start that it runs any run's code", async () => {
    const logs = testLogger("warn");
    const open = await startWorker({
      bus: await createNatsBus({ servers: [server.url] }),
      id: "w-open",
      logger: logs.logger,
      trustedKeys: [],
    });
    await open.drain();
    expect(logs.lines.filter((line) => line.msg.includes("no trusted keys"))).toHaveLength(1);
  });
});
