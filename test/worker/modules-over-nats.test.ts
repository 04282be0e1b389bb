/**
 * Pipeline modules over NATS: a `matrix worker` process started in another directory (so it cannot
 * read the module's file, nor resolve its relative path) gets the bundle through the run's object
 * store, and the bundle is deleted with the run.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createNatsBus, type NatsBus } from "../../sdk/bus/nats/index.js";
import { names } from "../../sdk/bus/nats/names.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import type { Task } from "../../sdk/schema/task.js";
import { readJsonl } from "../helpers/jsonl.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { tempDir } from "../helpers/temp-dir.js";
import { untilProgress } from "../helpers/wait.js";
import { spawnWorker, waitForReady, type WorkerProcess } from "../helpers/worker-process.js";

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, n: i }));

describeWithNats("pipeline modules shipped to workers through NATS", () => {
  let server: NatsServerHandle;
  let bus: NatsBus;
  let worker: WorkerProcess;

  beforeAll(async () => {
    server = await startNatsServer();
    bus = await createNatsBus({ servers: [server.url] });
    // Not this repository's directory: the relative module path means nothing there.
    worker = spawnWorker(["--nats", server.url, "--id", "wm", "--concurrency", "32"], {}, tmpdir());
    await waitForReady(worker);
  }, 60_000);

  afterAll(async () => {
    if (worker?.child.exitCode === null) worker.child.kill("SIGKILL");
    await bus?.close();
    await server?.dispose();
  });

  it("a worker in another cwd runs a role that uses a TS module (zod import); every id once; content gone after", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "helpers.ts"),
      [
        `import { z } from "zod";`,
        `const Row = z.object({ n: z.number() });`,
        `export function label(row: unknown): string {`,
        `  const { n }: { n: number } = Row.parse(row);`,
        `  return \`n=\${n * 3}\`;`,
        `}`,
      ].join("\n"),
    );
    const path = relative(process.cwd(), join(dir, "helpers.ts"));
    const out = tempDir();
    const p = pipeline("modules-nats")
      .module("helpers", path)
      .code("a", async (task, ctx) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { content: ctx.modules.helpers.label(task.row) };
      });
    const run = p.run({ source: rows(300), out, bus });
    await untilProgress(run, (progress) => progress.done >= 1);
    // Mid-run the bundle is in the run's content stream (under 512 KiB), its subject ending in its sha256.
    const jsm = await bus.jsm();
    const content = await jsm.streams.info(names.content(run.runId), { subjects_filter: ">" });
    expect(Object.keys(content.state.subjects ?? {})).toEqual([
      expect.stringMatching(new RegExp(`^matrix_content\\.[^.]+\\.[0-9a-f]{64}$`)),
    ]);

    const summary = await run.done();
    expect(summary.counts).toEqual({ done: 300, failed: 0, filtered: 0 });
    const written = readJsonl<Task>(join(out, "output.jsonl"));
    expect(new Set(written.map((task) => task.id)).size).toBe(300);
    expect(written.length).toBe(300);
    for (const task of written) {
      expect(task.history.at(-1)?.content).toBe(`n=${(task.row!.n as number) * 3}`);
      expect(task.history.at(-1)?.agent).toBe("wm/a");
    }
    // closeRun destroyed the run's content, bundle included.
    await expect(jsm.streams.info(names.content(run.runId))).rejects.toThrow(/not found/i);
    await expect(jsm.streams.info(`OBJ_${names.objects(run.runId)}`)).rejects.toThrow(/not found/i);
  }, 40_000);

  it("a module that cannot load on the worker dead-letters the run's tasks with the load error instead of hanging", async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, "picky.ts"),
      [
        `import { tmpdir } from "node:os";`,
        `if (process.cwd() === tmpdir()) throw new Error("cannot load on this worker");`,
        `export const ok = true;`,
      ].join("\n"),
    );
    const p = pipeline("modules-nats-broken")
      .module("picky", relative(process.cwd(), join(dir, "picky.ts")))
      .code("a", (task, ctx) => ({ state: { ok: ctx.modules.picky.ok } }));
    const run = p.run({ source: rows(5), bus });
    const summary = await run.done();
    expect(summary.counts).toEqual({ done: 0, failed: 5, filtered: 0 });
    expect(run.results()[0]!.error?.message).toContain("cannot load on this worker");
  }, 60_000);
});
