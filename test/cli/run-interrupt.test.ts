/**
 * Ctrl-C during `matrix run` (the real binary, a real SIGINT): the run stops, its output files are
 * closed valid, the summary says it was cancelled, the exact line that resumes it is printed, and the
 * exit code is 130. Running that printed line afterwards finishes the run with every id exactly once.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it, onTestFinished } from "vitest";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { TaskSchema, type Task } from "../../sdk/schema/task.js";
import { readJsonl } from "../helpers/jsonl.js";
import { tempDir } from "../helpers/temp-dir.js";

const ROWS = 400;

/** Resolves once `file` exists and holds at least one full line (or rejects if the child exits first). */
function firstLine(file: string, exited: Promise<unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    void exited.then(() => done || reject(new Error(`the run ended before writing ${file}`)));
    const check = () => {
      if (done) return;
      if (existsSync(file) && statSync(file).size > 0 && readFileSync(file, "utf8").includes("\n")) {
        done = true;
        resolve();
      } else setTimeout(check, 20);
    };
    check();
  });
}

describe("matrix run and Ctrl-C", () => {
  it("SIGINT mid-run leaves valid output, a summary and a resume hint (exit 130); the hint completes the run", async () => {
    const dir = tempDir();
    const source = join(dir, "rows.jsonl");
    writeFileSync(source, Array.from({ length: ROWS }, (_, i) => JSON.stringify({ id: `r${i}`, n: i })).join("\n"));
    // 25 ms per row, 8 at a time: at least 1.25 s of work, so the signal lands mid-run.
    const definition = pipeline("slow")
      .source(source)
      .code("wait", async (task) => {
        await new Promise((resolve) => setTimeout(resolve, 25));
        return { state: { twice: (task.row!.n as number) * 2 } };
      })
      .toJSON();
    const file = join(dir, "slow.json");
    writeFileSync(file, JSON.stringify(definition));
    const out = join(dir, "out with space");

    const child = spawn(process.execPath, ["bin/matrix.js", "run", file, "--out", out, "--concurrency", "8"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    onTestFinished(() => void child.kill("SIGKILL"));
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    await firstLine(join(out, "output.jsonl"), exited);
    child.kill("SIGINT");
    expect(await exited, stderr).toBe(130);

    const summary = JSON.parse(readFileSync(join(out, "summary.json"), "utf8"));
    expect(summary.cancelled).toBe(true);
    expect(JSON.parse(stdout)).toMatchObject({ cancelled: true, runId: summary.runId });
    const lines = readFileSync(join(out, "output.jsonl"), "utf8").split("\n");
    expect(lines.pop()).toBe(""); // ends with a newline: no torn last line
    const first = lines.map((line) => TaskSchema.parse(JSON.parse(line)));
    expect(first.length).toBe(summary.counts.done);
    expect(first.length).toBeGreaterThan(0);
    expect(first.length).toBeLessThan(ROWS);

    const hint = /resume with: (matrix run .*)$/m.exec(stderr)?.[1];
    expect(hint, stderr).toBe(`matrix run ${file} --out '${out}' --concurrency 8 --resume`);
    expect(stderr).not.toMatch(/\n\s+at /);

    // The printed line, run by a shell as a user would paste it.
    const resumed = spawnSync("bash", ["-c", hint!.replace(/^matrix /, `"${process.execPath}" bin/matrix.js `)], {
      encoding: "utf8",
      timeout: 90_000,
    });
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ cancelled: false, skipped: first.length });
    const rows = readJsonl<Task>(join(out, "output.jsonl"));
    const ids = rows.map((row) => row.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.sort()).toEqual(Array.from({ length: ROWS }, (_, i) => `r${i}`).sort());
    expect(rows.every((row) => row.state.twice === (row.row!.n as number) * 2)).toBe(true);
  });
});
