/**
 * `matrix run coral|natural-reasoning` from the command line: offline on the built-in simulator with
 * --rows 50, resumed (the summary metrics then cover the whole output directory), and unchanged
 * against an OpenAI-compatible server given with --llm (the simulator over HTTP on loopback), reading
 * real-format files given with --source.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { startSimulator } from "../../sdk/llm/simulator/index.js";
import type { CoralSummary } from "../../sdk/recipes/coral/coral-metrics.js";
import type { NaturalReasoningSummary } from "../../sdk/recipes/natural-reasoning/nr-metrics.js";
import type { RunSummary } from "../../sdk/schema/event.js";
import { TaskSchema, type Task } from "../../sdk/schema/task.js";
import { readJsonl } from "../helpers/jsonl.js";
import { tempDir } from "../helpers/temp-dir.js";

/** Runs `matrix ...` without blocking this process (an in-process server must keep answering). */
function matrix(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const { OPENAI_BASE_URL: _url, OPENAI_BASE_URLS: _urls, ...env } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/matrix.js", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (status) => resolve({ status, stdout, stderr }));
  });
}

/** A budget per spawned `matrix run` (start-up and run): the default 60 s is too tight on a loaded 2-core machine. */
const SPAWN_MS = 90_000;

const summaryFile = (out: string) => JSON.parse(readFileSync(join(out, "summary.json"), "utf8")) as RunSummary;

describe("matrix run coral | natural-reasoning", () => {
  it(
    "coral --rows 50 runs offline: conversations, per-task records and the coral summary",
    async () => {
      const out = tempDir();
      const result = await matrix(["run", "coral", "--rows", "50", "--out", out, "--quiet"]);
      expect(result.status, result.stderr).toBe(0);
      const summary = JSON.parse(result.stdout) as RunSummary;
      expect(summary.counts.done + summary.counts.failed).toBe(50);
      const coral = summary.metrics!.coral as CoralSummary;
      expect(coral.tasks).toBe(50);
      expect(coral.meanTurns).toBeGreaterThanOrEqual(2);
      expect(coral.meanTokens.teacher).toBeGreaterThan(0);
      expect(coral.stopReasons.agreement).toBeGreaterThan(0);
      expect(summaryFile(out).metrics).toEqual(summary.metrics);
      for (const task of readJsonl<Task>(join(out, "output.jsonl"))) {
        expect(TaskSchema.safeParse(task).success).toBe(true);
        expect(task.state.coral).toMatchObject({ turns: expect.any(Number), answers: expect.any(Object) });
        expect(["agreement", "max-turns"]).toContain(task.reason);
      }
    },
    SPAWN_MS,
  );

  it(
    "natural-reasoning --rows 50 runs offline from the shipped .zst; --resume then covers all rows",
    async () => {
      const out = tempDir();
      const first = await matrix(["run", "natural-reasoning", "--rows", "50", "--out", out, "--quiet"]);
      expect(first.status, first.stderr).toBe(0);
      const summary = JSON.parse(first.stdout) as RunSummary;
      const nr = summary.metrics!.naturalReasoning as NaturalReasoningSummary;
      expect(nr.input).toBe(50);
      expect(Object.values(nr.terminationReasons).reduce((a, b) => a + b, 0)).toBe(50);
      expect(nr.survivors.language).toBeGreaterThan(nr.survivors.question);
      const resumed = await matrix(["run", "natural-reasoning", "--rows", "70", "--out", out, "--resume", "--quiet"]);
      expect(resumed.status, resumed.stderr).toBe(0);
      const after = JSON.parse(resumed.stdout) as RunSummary;
      expect(after.skipped).toBe(50);
      expect(after.metricsScope).toEqual({ tasks: 70, thisRun: 20, earlierRuns: 50 });
      expect((after.metrics!.naturalReasoning as NaturalReasoningSummary).input).toBe(70);
      expect(summaryFile(out).metricsScope).toEqual(after.metricsScope);
    },
    2 * SPAWN_MS,
  );

  it("--format names the record formats it knows (a usage error)", async () => {
    const unknown = await matrix(["run", "coral", "--source", "x.jsonl", "--format", "squad"]);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain("--format: expected one of mmlu-pro, dclm, got 'squad'");
  });

  it(
    "both run unchanged against an OpenAI-compatible server (--llm), on real-format files (--source)",
    async () => {
      const server = await startSimulator({ speed: 200 });
      onTestFinished(() => server.close());
      const url = server.baseUrl;
      const [coralOut, nrOut] = [tempDir(), tempDir()];
      const [coral, nr] = await Promise.all([
        matrix([
          "run",
          "coral",
          "--llm",
          url,
          "--model",
          "sim-model",
          "--rows",
          "8",
          "--source",
          "datasets/coral/questions-sample.parquet",
          "--out",
          coralOut,
          "--quiet",
        ]),
        matrix([
          "run",
          "natural-reasoning",
          "--llm",
          url,
          "--model",
          "sim-model",
          "--rows",
          "40",
          "--source",
          "datasets/natural-reasoning/passages.jsonl",
          "--out",
          nrOut,
          "--quiet",
        ]),
      ]);
      expect(coral.status, coral.stderr).toBe(0);
      expect(nr.status, nr.stderr).toBe(0);
      expect((JSON.parse(coral.stdout) as RunSummary).metrics!.coral).toMatchObject({ tasks: 8 });
      expect((JSON.parse(nr.stdout) as RunSummary).metrics!.naturalReasoning).toMatchObject({ input: 40 });
      // Every LLM call went to the server given, with the model named.
      const served = readJsonl<Task>(join(coralOut, "output.jsonl")).flatMap((task) =>
        task.history.map((turn) => turn.model),
      );
      expect(new Set(served)).toEqual(new Set(["sim-model"]));
      // The Parquet sample's rows (MMLU-Pro ids 70001..70064) were the source.
      expect(readJsonl<Task>(join(coralOut, "output.jsonl")).every((task) => Number(task.id) <= 70064)).toBe(true);
    },
    2 * SPAWN_MS,
  );
});
