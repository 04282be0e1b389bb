/**
 * The trust commands with the real binary, against a real nats-server and `matrix worker` process:
 * `matrix keygen` writes a key pair; a worker with `--trusted-keys` serves a run signed with
 * `--signing-key` and refuses an unsigned one, which its driver's stderr names until Ctrl-C;
 * `matrix run --detach` leaves a run that `matrix status` shows as detached and `matrix attach`
 * collects, every id once.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it, onTestFinished } from "vitest";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import type { Task } from "../../sdk/schema/task.js";
import { readJsonl } from "../helpers/jsonl.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { tempDir } from "../helpers/temp-dir.js";
import { spawnWorker, waitForReady, type WorkerProcess } from "../helpers/worker-process.js";

const matrix = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, ["bin/matrix.js", ...args], {
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, MATRIX_LOG_LEVEL: "error", MATRIX_SIGNING_KEY: "", ...env },
  });

/**
 * Each test starts one to four `matrix` processes one after another (the checkout runs the CLI from
 * source); on a loaded 2-core machine a single start can take 20 s, so the budget counts processes.
 */
const CLI_TEST_MS = 180_000;

describeWithNats("matrix keygen, signed runs, --detach and attach", () => {
  let server: NatsServerHandle;
  let worker: WorkerProcess;
  let keys: string;
  let pipelineFile: string;
  let dir: string | undefined;

  beforeAll(async () => {
    // Made here and removed in afterAll: a tempDir() made inside beforeAll is not removed.
    dir = mkdtempSync(join(tmpdir(), "matrix-test-"));
    keys = join(dir, "driver");
    const made = matrix(["keygen", "--out", keys]);
    expect(made.status, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/key id +ed25519:[0-9a-f]{16}/);
    pipelineFile = join(dir, "p.json");
    writeFileSync(
      pipelineFile,
      JSON.stringify(
        pipeline("cli-trust")
          .source(Array.from({ length: 40 }, (_, i) => ({ id: `r${i}`, n: i })))
          .code("a", (task) => ({ content: `n=${Number(task.row!.n) * 3}` }))
          .toJSON(),
      ),
    );
    server = await startNatsServer();
    worker = spawnWorker(["--nats", server.url, "--id", "cli-w", "--trusted-keys", `${keys}.pub`]);
    await waitForReady(worker);
  }, CLI_TEST_MS);

  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    if (worker?.child.exitCode === null) worker.child.kill("SIGKILL");
    await server?.dispose();
  });

  it("keygen writes a 0600 private key and a .pub, and refuses to overwrite them", () => {
    expect(statSync(`${keys}.key`).mode & 0o077).toBe(0);
    expect(existsSync(`${keys}.pub`)).toBe(true);
    const again = matrix(["keygen", "--out", keys]);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain("SigningKeyError");
  });

  it(
    "a run signed with --signing-key completes on the worker that trusts the key",
    () => {
      const out = tempDir();
      const run = matrix([
        "run",
        pipelineFile,
        "--bus",
        "nats",
        "--nats",
        server.url,
        "--out",
        out,
        "--quiet",
        "--signing-key",
        `${keys}.key`,
      ]);
      expect(run.status, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout).counts.done).toBe(40);
      expect(run.stderr).toContain("LLM: the built-in simulator");
      const written = readJsonl<Task>(join(out, "output.jsonl"));
      expect(new Set(written.map((t) => t.history[0]!.agent.split("/")[0]))).toEqual(new Set(["cli-w"]));
    },
    CLI_TEST_MS,
  );

  it(
    "an unsigned run is refused: the driver's stderr says why; Ctrl-C stops it (exit 130)",
    async () => {
      const out = tempDir();
      const child = spawn(
        process.execPath,
        ["bin/matrix.js", "run", pipelineFile, "--bus", "nats", "--nats", server.url, "--out", out, "--quiet"],
        {
          stdio: ["ignore", "pipe", "pipe"],
          env: { ...process.env, MATRIX_LOG_LEVEL: "error", MATRIX_SIGNING_KEY: "" },
        },
      );
      onTestFinished(() => void (child.exitCode === null && child.kill("SIGKILL")));
      let stderr = "";
      await new Promise<void>((resolve) =>
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString();
          if (stderr.includes("does not serve this run (unsigned)")) resolve();
        }),
      );
      expect(stderr).toContain("worker cli-w does not serve this run (unsigned): the run is not signed");
      const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGINT");
      expect(await exited).toBe(130);
      expect(readJsonl(join(out, "output.jsonl"))).toHaveLength(0);
    },
    CLI_TEST_MS,
  );

  it(
    "--detach leaves the run to the worker; status shows it detached; attach collects every id once",
    () => {
      const out = tempDir();
      const detached = matrix([
        "run",
        pipelineFile,
        "--bus",
        "nats",
        "--nats",
        server.url,
        "--out",
        out,
        "--quiet",
        "--detach",
        "--signing-key",
        `${keys}.key`,
      ]);
      expect(detached.status, detached.stderr).toBe(0);
      const runId = /matrix attach (\S+) --out/.exec(detached.stderr)?.[1];
      expect(runId, detached.stderr).toBeDefined();
      expect(JSON.parse(detached.stdout)).toMatchObject({ detached: true, counts: { done: 0 } });
      const status = matrix(["status", "--nats", server.url]);
      expect(status.stdout).toMatch(
        new RegExp(`${runId}.*detached .* ago \\(fed; matrix attach collects it; removed in`),
      );
      expect(status.stdout).toContain("signed by ed25519:");

      const attach = matrix(["attach", runId!, "--out", out, "--nats", server.url, "--quiet"]);
      expect(attach.status, attach.stderr).toBe(0);
      expect(JSON.parse(attach.stdout).counts.done).toBe(40);
      const written = readJsonl<Task>(join(out, "output.jsonl"));
      expect(new Set(written.map((task) => task.id)).size).toBe(40);
      expect(written).toHaveLength(40);
      expect(matrix(["status", "--nats", server.url]).stdout).not.toContain(runId);
    },
    CLI_TEST_MS,
  );
});
