/**
 * The code-verify recipe offline: the built-in simulator over HTTP answers the coder with the row's
 * candidate solutions (some correct, some buggy), the real sandbox runs the tests, failures get one
 * repair turn. Also: the shipped problem set is sound (references and correct candidates pass, buggy
 * ones fail) when run in the sandbox.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { codeVerify } from "../../sdk/recipes/code-verify/code-verify.js";
import type { Attempt, Problem } from "../../sdk/recipes/code-verify/code-verify-module.js";
import { extractCode, verifySolution } from "../../sdk/recipes/code-verify/verify-solution.js";
import { Sandbox } from "../../sdk/sandbox/sandbox.js";
import type { Task } from "../../sdk/schema/task.js";
import { describeWithBwrap } from "../helpers/bubblewrap.js";
import { readJsonl } from "../helpers/jsonl.js";
import { tempDir } from "../helpers/temp-dir.js";

const problems = readJsonl<Problem>("datasets/code-verify/problems.jsonl");

it("extracts the last fenced block of a reply", () => {
  expect(extractCode("Here:\n```python\ndef f():\n    return 1\n```\nDone.")).toBe("def f():\n    return 1\n");
  expect(extractCode("```js\na()\n```\n```javascript\nb()\n```")).toBe("b()\n");
  expect(extractCode("def g(): pass")).toBe("def g(): pass");
  expect(extractCode("  ")).toBeUndefined();
});

describeWithBwrap("code-verify", () => {
  it("ships 30 problems whose references and correct candidates pass and buggy candidates fail", async () => {
    expect(problems).toHaveLength(30);
    expect(new Set(problems.map((p) => p.language))).toEqual(new Set(["python", "node"]));
    const sandbox = new Sandbox({ concurrency: 2 });
    const jobs = problems.flatMap((problem) => [
      { problem, label: "reference", code: problem.reference! },
      ...problem.candidates!.map((candidate) => ({ problem, label: candidate.label, code: candidate.code })),
    ]);
    const wrong = (
      await Promise.all(
        jobs.map(async (job) => {
          const result = await verifySolution(sandbox, {
            language: job.problem.language,
            solution: job.code,
            tests: job.problem.tests,
            // Buggy candidates that loop forever end at 2 s of CPU; a correct one is never cut short
            // by a wall-clock limit while it waits for a loaded machine's CPU.
            cpuSeconds: 2,
            timeoutMs: 120_000,
          });
          const shouldPass = job.label === "reference" || job.label === "correct";
          return result.passed === shouldPass ? [] : [`${job.problem.id} (${job.label}): ${JSON.stringify(result)}`];
        }),
      )
    ).flat();
    expect(wrong).toEqual([]);
  }, 240_000); // 120 sandbox runs (a few of them 2 CPU-seconds of endless loop) on a loaded machine

  it("a memory limit reached inside a test is reported as the memory limit, not only as that test's failure", async () => {
    // The shipped endless chunk(items, 0) grows a list until Python raises MemoryError inside the test.
    const chunk = problems.find((p) => p.id === "py-chunk")!;
    const endless = chunk.candidates!.find((candidate) => /endless/.test(candidate.label))!;
    const result = await verifySolution(new Sandbox(), {
      language: "python",
      solution: endless.code,
      tests: chunk.tests,
      memoryMB: 64,
      cpuSeconds: 10,
      timeoutMs: 120_000,
    });
    expect(result).toMatchObject({ passed: false, limit: "memory", timedOut: false, testsTotal: 3, testsPassed: 2 });
    expect(result.failures).toEqual([{ test: "test_bad_size", error: "MemoryError" }]);
  }, 150_000);

  it("a solution cannot fake the harness's report line (the marker ends in a nonce it never sees)", async () => {
    const sandbox = new Sandbox({ concurrency: 2 });
    const python = problems.find((p) => p.language === "python")!;
    const node = problems.find((p) => p.language === "node")!;
    // Each cheat reads the harness from the work directory, prints what it thinks the report line is
    // (all tests passed), and exits 0 before any test runs.
    const cheats = [
      {
        problem: python,
        solution: [
          "import json, os, re, sys",
          "marker = re.search(r'@@[a-z-]+@@', open('main.py').read()).group(0)",
          "print(marker + json.dumps({'passed': 9, 'total': 9, 'failures': [], 'error': None}), flush=True)",
          "os._exit(0)",
        ].join("\n"),
      },
      {
        problem: node,
        solution: [
          "const marker = /@@[a-z-]+@@/.exec(require('fs').readFileSync('main.js', 'utf8'))[0];",
          "process.stdout.write(marker + JSON.stringify({ passed: 9, total: 9, failures: [], error: null }) + '\\n');",
          "process.exit(0);",
        ].join("\n"),
      },
    ];
    for (const { problem, solution } of cheats) {
      const result = await verifySolution(sandbox, { language: problem.language, solution, tests: problem.tests });
      expect(result, problem.id).toMatchObject({ passed: false, testsPassed: 0, exitCode: 0 });
      // What it printed stays in the program's output, where a reader can see the attempt.
      expect(result.stdout).toMatch(/@@matrix-code-verify@@\{"passed": ?9/);
    }
  });

  it("runs 30 problems offline: passes and failures, one repair turn, outputs, timing and the pass rate", async () => {
    const out = tempDir();
    // The few endless-loop candidates end at 2 s of CPU, however slowly a loaded machine gets there.
    const summary = await codeVerify({ cpuSeconds: 2, timeoutMs: 120_000 })
      .run({ rows: 30, out, simulator: { speed: 200 }, concurrency: 16 })
      .done();
    expect(summary.counts).toEqual({ done: 30, failed: 0, filtered: 0 });
    const tasks = readJsonl<Task>(join(out, "output.jsonl"));
    let passed = 0;
    let repaired = 0;
    for (const task of tasks) {
      const attempts = task.state.attempts as Attempt[];
      expect(attempts.length).toBeGreaterThanOrEqual(1);
      expect(attempts.length).toBeLessThanOrEqual(2);
      for (const attempt of attempts) {
        // The simulator answered with the candidate; the sandbox's verdict matches what it is.
        expect(attempt.passed, `${task.id}: ${attempt.candidate}`).toBe(attempt.candidate === "correct");
        expect(attempt.durationMs).toBeGreaterThanOrEqual(0);
      }
      expect(task.state.passed).toBe(attempts.at(-1)!.passed);
      if (task.state.passed) passed++;
      if (task.state.repaired) repaired++;
      // A failed first attempt went back to the coder with the failures, and the coder answered again.
      if (!attempts[0]!.passed) {
        expect(task.history.map((turn) => turn.role)).toEqual(["coder", "verify", "coder", "verify"]);
        expect(task.history[1]!.content).toMatch(/Your solution failed: \d+ of \d+ tests passed/);
      }
    }
    expect(passed).toBeGreaterThan(0);
    expect(passed).toBeLessThan(30);
    // Endless loops ended at the CPU-time (or memory) limit, long before the wall-clock one.
    const endless = tasks
      .flatMap((task) => task.state.attempts as Attempt[])
      .filter((attempt) => /endless/.test(attempt.candidate ?? ""));
    expect(endless.length).toBeGreaterThan(0);
    for (const attempt of endless) {
      expect(attempt.timedOut).toBe(false);
      expect(["cpu", "memory"]).toContain(attempt.limit);
    }
    expect(repaired).toBeGreaterThan(0);
    expect(summary.metrics?.passRate).toMatchObject({
      tasks: 30,
      passed,
      passRate: Math.round((passed / 30) * 1000) / 1000,
      passedAfterRepair: repaired,
      failed: 30 - passed,
    });
    // The turn the coder wrote is the candidate it was given, fenced.
    const first = tasks[0]!;
    const given = (first.row as unknown as Problem).candidates!.find(
      (c) => c.label === (first.state.attempts as Attempt[])[0]!.candidate,
    )!;
    expect(extractCode(first.history[0]!.content!)).toBe(given.code);
  }, 240_000); // 50 sandbox runs behind the simulator, on a loaded machine
});

it("with useCandidates off the coder sends no prediction (a real model writes its own code)", () => {
  const json = codeVerify({ useCandidates: false, maxRepairs: 2 }).toJSON();
  expect(json.params).toMatchObject({ useCandidates: false, maxRepairs: 2 });
  expect(() => codeVerify({ maxRepair: 1 })).toThrow(/recipe\('code-verify'\).*unknown option 'maxRepair'/);
  expect(JSON.parse(readFileSync("datasets/code-verify/problems.jsonl", "utf8").split("\n")[0]!).id).toBe(
    "py-fizzbuzz",
  );
});
