/**
 * Runs a candidate solution against its tests in the sandbox and reads back what happened: tests
 * passed of total, the failures, the exit code, limits hit, timing.
 *
 * Where you are: `recipes/code-verify/`. The test harness is ours (no pytest in a bare image): it
 * imports `tests` (Python `test_*` functions; a JavaScript module exporting test functions), runs
 * each, and prints one marker line of JSON. The marker ends in a random nonce the harness reads from
 * stdin before the solution is imported, so a solution cannot print a fake "all passed" line (it can
 * read the harness file, not the nonce). A solution written to cheat can still tamper with the tests
 * in its own process (patch them, walk the harness's frames); the sandbox bounds what it can do to
 * the host, not whether it lies about itself.
 */
import { randomBytes } from "node:crypto";
import type { SandboxLanguage, SandboxRunner } from "../../sandbox/sandbox-request.js";

export const RESULT_MARKER = "@@matrix-code-verify@@";

const PYTHON_HARNESS = `
import importlib, json, sys, time
def _reporter(marker):
    def report(passed, total, failures, error=None):
        print(marker + json.dumps({"passed": passed, "total": total, "failures": failures, "error": error}), flush=True)
    return report
report = _reporter("${RESULT_MARKER}" + sys.stdin.readline().strip())
try:
    tests = importlib.import_module("tests")
except BaseException as e:
    report(0, 0, [], f"{type(e).__name__}: {e}"[:800])
    sys.exit(2)
names = sorted(n for n in dir(tests) if n.startswith("test_") and callable(getattr(tests, n)))
failures = []
out_of_memory = False
for name in names:
    try:
        getattr(tests, name)()
    except BaseException as e:
        out_of_memory = out_of_memory or isinstance(e, MemoryError)
        failures.append({"test": name, "error": (f"{type(e).__name__}: {e}" if str(e) else type(e).__name__)[:800]})
report(len(names) - len(failures), len(names), failures)
if out_of_memory:
    # Caught here, a MemoryError is the sandbox's memory limit: say so where the sandbox looks.
    print("MemoryError: a test reached the memory limit", file=sys.stderr, flush=True)
sys.exit(0 if not failures else 1)
`;

const NODE_HARNESS = `
const marker = "${RESULT_MARKER}" + require("fs").readFileSync(0, "utf8").trim();
const report = (passed, total, failures, error) =>
  process.stdout.write(marker + JSON.stringify({ passed, total, failures, error: error ?? null }) + "\\n");
let tests;
try {
  tests = require("./tests.js");
} catch (e) {
  report(0, 0, [], String(e && e.stack ? e.stack.split("\\n")[0] : e).slice(0, 800));
  process.exit(2);
}
(async () => {
  const names = Object.keys(tests).filter((name) => typeof tests[name] === "function");
  const failures = [];
  for (const name of names) {
    try {
      await tests[name]();
    } catch (e) {
      failures.push({ test: name, error: String((e && e.message) || e).slice(0, 800) });
    }
  }
  report(names.length - failures.length, names.length, failures);
  process.exitCode = failures.length ? 1 : 0;
})();
`;

const FILES: Record<"python" | "node", { solution: string; tests: string; harness: string }> = {
  python: { solution: "solution.py", tests: "tests.py", harness: PYTHON_HARNESS },
  node: { solution: "solution.js", tests: "tests.js", harness: NODE_HARNESS },
};

export interface VerifyResult {
  /** Every test passed and the program exited 0. */
  passed: boolean;
  testsPassed: number;
  testsTotal: number;
  failures: Array<{ test: string; error: string }>;
  /** Why it did not get to run the tests (an import error, a syntax error), or a limit it hit. */
  error?: string;
  exitCode: number | null;
  timedOut: boolean;
  /** The sandbox limit the program reached, also when a test caught it (a Python MemoryError). */
  limit?: string;
  durationMs: number;
  /** The tail of what the program wrote, without the harness's line (kept short for the task record). */
  stdout: string;
  stderr: string;
}

const tail = (text: string, max = 2000) => (text.length > max ? `…${text.slice(-max)}` : text);

/** Runs `solution` against `tests` in the sandbox. */
export async function verifySolution(
  sandbox: SandboxRunner,
  options: {
    language: "python" | "node";
    solution: string;
    tests: string;
    timeoutMs?: number;
    memoryMB?: number;
    /** CPU-time limit, seconds: ends busy loops however slow a loaded machine is. @default the sandbox's */
    cpuSeconds?: number;
  },
): Promise<VerifyResult> {
  const files = FILES[options.language];
  const marker = `${RESULT_MARKER}${randomBytes(12).toString("hex")}`;
  const run = await sandbox.run({
    language: options.language as SandboxLanguage,
    code: files.harness,
    stdin: `${marker.slice(RESULT_MARKER.length)}\n`,
    files: { [files.solution]: options.solution, [files.tests]: options.tests },
    timeoutMs: options.timeoutMs ?? 10_000,
    memoryMB: options.memoryMB ?? 256,
    ...(options.cpuSeconds !== undefined ? { cpuSeconds: options.cpuSeconds } : {}),
  });
  const line = run.stdout.split("\n").find((text) => text.startsWith(marker));
  const stdout = tail(
    run.stdout
      .split("\n")
      .filter((text) => !text.startsWith(marker))
      .join("\n"),
  );
  const base = {
    exitCode: run.exitCode,
    timedOut: run.timedOut,
    ...(run.limit ? { limit: run.limit } : {}),
    durationMs: run.durationMs,
    stdout,
    stderr: tail(run.stderr),
  };
  if (line === undefined) {
    const why = run.timedOut
      ? `killed at the time limit (${options.timeoutMs ?? 10_000} ms)`
      : run.limit === "cpu"
        ? "stopped at the CPU-time limit"
        : run.limit === "memory"
          ? "stopped at the memory limit"
          : `the tests did not finish (exit ${run.exitCode ?? run.signal})`;
    return { passed: false, testsPassed: 0, testsTotal: 0, failures: [], error: why, ...base };
  }
  const report = JSON.parse(line.slice(marker.length)) as {
    passed: number;
    total: number;
    failures: Array<{ test: string; error: string }>;
    error: string | null;
  };
  return {
    passed: report.error === null && report.failures.length === 0 && report.total > 0 && run.exitCode === 0,
    testsPassed: report.passed,
    testsTotal: report.total,
    failures: report.failures,
    ...(report.error ? { error: report.error } : {}),
    ...base,
  };
}

/** The code of a reply: the last fenced block (any language tag), else the whole reply. */
export function extractCode(reply: string): string | undefined {
  const blocks = [...reply.matchAll(/```[\w+-]*[ \t]*\n([\s\S]*?)```/g)].map((match) => match[1]!);
  const code = blocks.length > 0 ? blocks[blocks.length - 1]! : reply;
  return code.trim() === "" ? undefined : code;
}
