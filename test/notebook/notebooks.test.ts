/**
 * Every notebook in notebooks/ executes headless with the project kernel (`jupyter nbconvert
 * --execute`); the executed quickstart holds a live-updated progress display, an HTML table and a
 * plot; and the pipeline built in a notebook, exported (by `pipeline.export` and by `matrix
 * export`), runs with `matrix run` and writes records that match TaskSchema.
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskSchema } from "../../sdk/schema/task.js";
import {
  AWAIT_NOTEBOOK_MS,
  JUPYTER,
  JUPYTER_INSTALL,
  executeNotebook,
  text,
  type Notebook,
  type Output,
} from "./execute-notebook.js";
import { requireTool } from "./external-tool.js";
import { natsServerBinary, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";

const run = promisify(execFile);
const root = process.cwd();
const work = join(root, ".matrix", "notebook-test");
const hasJupyter = requireTool(JUPYTER, JUPYTER_INSTALL);
const notebooks = readdirSync(join(root, "notebooks")).filter((name) => name.endsWith(".ipynb"));
const html = (output: Output) => text(output.data?.["text/html"]);
/** A test awaits its notebook: executed two at a time, in order (execute-notebook.ts). */
const TEST_MS = AWAIT_NOTEBOOK_MS;
const execute = (name: string, env: NodeJS.ProcessEnv = {}) =>
  executeNotebook(`notebooks/${name}`, work, root, undefined, env);
/** Run on a real nats-server when one is installed (CI installs it); without, its cells say they skip. */
const CLUSTER = "nats-cluster.ipynb";
/** The test's server has no auth or TLS: settings from the developer's shell must not reach its kernel. */
const clusterEnv = (url: string): NodeJS.ProcessEnv => ({
  NATS_URL: url,
  ...Object.fromEntries(
    ["USER", "PASSWORD", "TOKEN", "NKEY", "CREDS", "TLS_CA", "TLS_CERT", "TLS_KEY"].map((name) => [`NATS_${name}`, ""]),
  ),
});

describe.skipIf(!hasJupyter)("notebooks", () => {
  const executed = new Map<string, Promise<Notebook>>();
  let nats: NatsServerHandle | undefined;
  /** Why the server did not start: only the cluster notebook's test fails for it. */
  let natsFailure: unknown;
  beforeAll(async () => {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    if (natsServerBinary) nats = await startNatsServer().catch((error: unknown) => void (natsFailure = error));
    // Queued in test order; executeNotebook runs two kernels at a time.
    for (const name of notebooks)
      executed.set(name, execute(name, name === CLUSTER && nats ? clusterEnv(nats.url) : {}));
    for (const promise of executed.values()) promise.catch(() => {});
  });
  afterAll(async () => {
    try {
      await nats?.dispose();
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });

  it.each(notebooks)(
    "%s executes headless with the project kernel",
    async (name) => {
      const notebook = await executed.get(name)!;
      const stderr = notebook.cells.flatMap((cell) => (cell.outputs ?? []).filter((o) => o.name === "stderr"));
      expect(stderr.map((o) => text(o.text))).toEqual([]);
    },
    TEST_MS,
  );

  const cell = async (name: string, id: string) =>
    (await executed.get(name)!).cells.find((candidate) => candidate.id === id)!.outputs ?? [];
  /** The columns and rows of the interactive table a cell displayed (the first, if several). */
  const table = async (name: string, id: string) => {
    const data = /class="matrix-table-data">(.*?)<\/script>/.exec((await cell(name, id)).map(html).join(""));
    return JSON.parse(data![1]!) as { columns: string[]; rows: unknown[][] };
  };

  it(
    "the quickstart's single live cell holds the latest rows and plots in the finished run's state",
    async () => {
      const live = (await cell("quickstart.ipynb", "c5")).filter((o) => html(o).includes('class="matrix-live"'));
      // One output: the first frame was display_data, every later one an update_display_data.
      expect(live).toHaveLength(1);
      const frame = html(live[0]!);
      expect(frame).toContain('data-state="finished"');
      const count = (name: string) =>
        Number(new RegExp(`class="matrix-progress"[^>]* data-${name}="(\\d+)"`).exec(frame)?.[1]);
      const finished = count("done") + count("failed") + count("filtered");
      expect(finished).toBe(40);
      expect(frame).toContain("latest finished rows");
      const plots = [
        ...frame.matchAll(
          /<figure class="matrix-live-plot" data-kind="(\w+)"[\s\S]*?class="matrix-plot-data">(.*?)<\/script>/g,
        ),
      ];
      expect(plots.map((match) => match[1])).toEqual(["throughput", "queues", "latency"]);
      for (const match of plots) expect(frame).toContain('src="data:image/svg+xml;base64,');
      const throughput = JSON.parse(plots[0]![2]!) as Array<{ finished: number; done: number; t: number }>;
      expect(throughput.at(-1)!.finished).toBe(finished);
      expect(throughput.at(-1)!.done).toBe(count("done"));
      const queues = JSON.parse(plots[1]![2]!) as Array<{ role: string; depth: number; t: number }>;
      expect(queues.filter((point) => point.t === throughput.at(-1)!.t).map((point) => point.depth)).toEqual(
        queues.filter((point) => point.t === throughput.at(-1)!.t).map(() => 0),
      );
      const latency = JSON.parse(plots[2]![2]!) as Array<{ role: string }>;
      expect(new Set(latency.map((point) => point.role))).toEqual(new Set(["teacher", "student", "extract", "grade"]));
    },
    TEST_MS,
  );

  it(
    "the quickstart's tables (the results and a derived arquero table) are HTML, and plots are kept",
    async () => {
      const results = (await cell("quickstart.ipynb", "c7")).filter((o) => html(o).includes('class="matrix-table"'));
      expect(results).toHaveLength(1);
      expect(html(results[0]!)).toContain('class="matrix-table-view"'); // interactive, with the static fallback inside
      const derived = await cell("quickstart.ipynb", "c7b");
      expect(derived).toHaveLength(1);
      expect(html(derived[0]!)).toContain(">count<");
      const plots = (await cell("quickstart.ipynb", "c11")).filter((o) => o.data?.["application/vnd.vegalite.v5+json"]);
      expect(plots).toHaveLength(3);
      expect(html(plots[0]!)).toContain('src="data:image/svg+xml;base64,');
      expect(typeof plots[0]!.data!["application/vnd.vegalite.v5+json"]).toBe("object");
    },
    TEST_MS,
  );

  // CI installs nats-server, so there a missing one fails instead of skipping (as describeWithNats does).
  it.skipIf(!natsServerBinary && process.env.CI !== "true")(
    "the nats-cluster notebook runs its 20 rows through a real nats-server, watched live, with the results table",
    async () => {
      if (!natsServerBinary)
        throw new Error("nats-server is not installed (apt-get install nats-server); CI must run this.");
      if (natsFailure) throw natsFailure;
      const outputs = await cell(CLUSTER, "c5");
      expect(outputs.map((o) => text(o.text)).join("")).not.toContain("skipped");
      const live = outputs.filter((o) => html(o).includes('class="matrix-live"'));
      expect(live).toHaveLength(1);
      const frame = html(live[0]!);
      expect(frame).toContain('data-state="finished"');
      expect(Number(/class="matrix-progress"[^>]* data-done="(\d+)"/.exec(frame)?.[1])).toBe(20);
      expect(outputs.filter((o) => html(o).includes('class="matrix-table"'))).toHaveLength(1);
    },
    TEST_MS,
  );

  it(
    "build-your-own compares the two runs: summary table and judge-score distribution",
    async () => {
      const outputs = await cell("build-your-own-pipeline.ipynb", "c8");
      const summary = outputs.filter((o) => html(o).includes("judge.score mean"));
      expect(summary).toHaveLength(1);
      expect(html(summary[0]!)).toContain("everyday example");
      expect(
        outputs.filter((o) => o.data?.["application/vnd.vegalite.v5+json"]).map((o) => text(o.data?.["text/plain"])),
      ).toContain("[plot: judge.score: distribution per run]");
    },
    TEST_MS,
  );

  it(
    "the executed coral and natural-reasoning notebooks show their recipe summaries, tables and a plot",
    async () => {
      const [coral, nr] = await Promise.all([executed.get("coral.ipynb")!, executed.get("natural-reasoning.ipynb")!]);
      const outputs = (notebook: Notebook) => notebook.cells.flatMap((cell) => cell.outputs ?? []);
      const stdout = (notebook: Notebook) =>
        outputs(notebook)
          .filter((o) => o.name === "stdout")
          .map((o) => text(o.text))
          .join("");
      const tables = (notebook: Notebook) =>
        outputs(notebook).filter((o) => text(o.data?.["text/html"]).includes('class="matrix-table"'));
      const coralSummary = JSON.parse(/\{[\s\S]*\}/.exec(stdout(coral))![0]) as { tasks: number; stopReasons: object };
      expect(coralSummary.tasks).toBe(30);
      expect(tables(coral).length).toBeGreaterThan(0);
      const funnel = JSON.parse(/\{[\s\S]*\}/.exec(stdout(nr))![0]) as {
        input: number;
        survivors: Record<string, number>;
      };
      expect(funnel.input).toBe(100);
      expect(Object.keys(funnel.survivors)).toEqual(["language", "reasoning", "score", "question"]);
      expect(tables(nr).length).toBe(2);
      expect(outputs(nr).some((o) => o.data?.["application/vnd.vegalite.v5+json"])).toBe(true);
    },
    TEST_MS,
  );

  it(
    "the executed tau notebook scores a gold replay 1 and shows the run's tau summary",
    async () => {
      const cells = (await executed.get("tau.ipynb")!).cells;
      const stdout = (id: string) =>
        (cells.find((cell) => cell.id === id)?.outputs ?? [])
          .filter((o) => o.name === "stdout")
          .map((o) => text(o.text))
          .join("");
      expect(stdout("t3")).toMatch(/\ngold actions: 1 .*\| without the exchange: 0 /);
      const summary = JSON.parse(stdout("t10").slice(0, stdout("t10").indexOf("\n}") + 2));
      expect(summary).toMatchObject({ tasks: 10, failed: 0 });
      expect(summary.meanReward).toBeGreaterThanOrEqual(0);
    },
    TEST_MS,
  );

  it(
    "the executed quality-and-sandbox notebook filters, dedups, contains its programs and verifies code",
    async () => {
      const cells = (await executed.get("quality-and-sandbox.ipynb")!).cells;
      const outputs = (id: string) => cells.find((cell) => cell.id === id)?.outputs ?? [];
      const stdout = (id: string) =>
        outputs(id)
          .filter((o) => o.name === "stdout")
          .map((o) => text(o.text))
          .join("");
      const tableRows = async (id: string) => (await table("quality-and-sandbox.ipynb", id)).rows;
      expect(stdout("c4")).toContain(
        "kept: [ 'a', 'e' ] dropped: [ 'b (language:de)', 'c (repetitive)', 'd (too-short)' ]",
      );
      expect(stdout("c6")).toContain("kept: [ 'o1', 'o2', 'other' ]");
      expect((await tableRows("c6")).map((row) => row.slice(0, 2))).toEqual([
        ["copy", "o1"],
        ["near", "o1"],
      ]);
      const reasons = Object.fromEntries((await tableRows("c8")).map(([id, , reason]) => [id, reason]));
      expect(reasons).toMatchObject({ r3: "language:de", r4: "repetitive", r5: "completed" });
      // r1 and r2 are near-duplicates: whichever reached the dedup role first is kept.
      expect([reasons.r1, reasons.r2].sort()).toEqual(["completed", "duplicate"]);
      if (stdout("c10").includes("skipping the sandbox sections")) return; // no bubblewrap here
      expect(stdout("c10")).toContain("hello, notebook");
      expect(stdout("c11")).toContain("env: ['HOME', 'LANG', 'PATH', 'PWD', 'PYTHONDONTWRITEBYTECODE', 'TMPDIR']");
      expect(stdout("c11")).toMatch(/network: \[Errno 111\] Connection refused/);
      expect(stdout("c11")).toMatch(/write: \[Errno 30\] Read-only file system/);
      expect(stdout("c11")).toContain("timedOut: true, limit: 'time'");
      const passRate = JSON.parse(
        stdout("c13")
          .slice(0, stdout("c13").indexOf("}") + 1)
          .replace(/(\w+):/g, '"$1":'),
      ) as { tasks: number; passed: number; failed: number };
      expect(passRate.tasks).toBe(12);
      expect(passRate.passed).toBeGreaterThan(0);
      expect(passRate.failed).toBeGreaterThan(0);
      expect(await tableRows("c13")).toHaveLength(12);
    },
    TEST_MS,
  );

  it(
    "the operations notebook draws a task's trace, retries a dead letter, forks a task and stops at a budget",
    async () => {
      const stdout = async (id: string) =>
        (await cell("operations.ipynb", id))
          .filter((o) => o.name === "stdout")
          .map((o) => text(o.text))
          .join("");
      expect(await stdout("c3")).toContain("{ done: 4, failed: 2, filtered: 0 }");
      // Counted where they happened: the failing role, not the one before it.
      expect(await stdout("c4")).toMatch(/matrix_task_exceptions_total\{[^}]*role="solve",outcome="failed"\} 2/);
      expect(await stdout("c4")).toMatch(/matrix_task_exceptions_total\{[^}]*role="explain",outcome="failed"\} 0/);
      expect(await stdout("c4")).toMatch(/matrix_llm_ttft_seconds_count\{[^}]*role="explain"[^}]*\} 6/);
      const trace = (await cell("operations.ipynb", "c6")).filter((o) => o.data?.["application/vnd.vegalite.v5+json"]);
      expect(trace).toHaveLength(1);
      expect(html(trace[0]!)).toContain('src="data:image/svg+xml;base64,');
      expect(text(trace[0]!.data?.["text/plain"])).toMatch(/^\[plot: Task r0: 2 hops/);
      expect(await stdout("c8")).toMatch(/id: 'r2',\s+role: 'solve'/);
      expect(await stdout("c9")).toContain("{ done: 1, failed: 0, filtered: 0 }");
      expect(await stdout("c10")).toContain("[ 'r4' ]");
      expect(await stdout("c12")).toMatch(/forkOf: 'r0',\s+fromTurn: 0/);
      expect(await stdout("c14")).toMatch(/limit: 'run\.tokens'/);
    },
    TEST_MS,
  );

  it(
    "the benchmarks notebook tables every workload under the three modes and compares row with batch live",
    async () => {
      const scheduling = await table("benchmarks.ipynb", "b4");
      const [workload, mode, batchSize] = ["workload", "mode", "batchSize"].map((c) => scheduling.columns.indexOf(c));
      const runs = new Set(scheduling.rows.map((row) => `${row[workload!]}/${row[mode!]}`));
      for (const name of ["coral", "natural-reasoning", "tau"])
        for (const m of ["row", "batch", "central"]) expect(runs).toContain(`${name}/${m}`);
      // Batch rows say their batch size; the others leave it empty (same columns in every row).
      for (const row of scheduling.rows) expect(row[batchSize!] === null).toBe(row[mode!] !== "batch");
      const live = await cell("benchmarks.ipynb", "b11");
      // A small table is drawn whole, without the paging data: read its header cells.
      const headers = [...html(live[0]!).matchAll(/<th[^>]*>([^<]*)<\/th>/g)].map((match) => match[1]);
      expect(headers).toEqual(["measure", "row", "batch", "change"]);
      const plots = live.filter((o) => o.data?.["application/vnd.vegalite.v5+json"]);
      expect(plots.length).toBeGreaterThan(0);
    },
    TEST_MS,
  );

  async function records(script: string, out: string): Promise<unknown[]> {
    await run(process.execPath, ["bin/matrix.js", "run", script, "--out", out, "--quiet"], {
      cwd: root,
      timeout: 60_000,
    });
    return readFileSync(join(out, "output.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
  }

  it(
    "a pipeline exported from a notebook runs with `matrix run` and writes TaskSchema records",
    async () => {
      await executed.get("build-your-own-pipeline.ipynb")!;
      const exported = join(root, "out/notebooks/explainer.pipeline.ts");
      const fromMethod = await records(exported, join(work, "from-method"));
      expect(fromMethod.length).toBe(6);
      for (const record of fromMethod) expect(TaskSchema.safeParse(record).success).toBe(true);

      const script = join(work, "extracted.pipeline.ts");
      await run(
        process.execPath,
        ["bin/matrix.js", "export", "notebooks/build-your-own-pipeline.ipynb", "--out", script],
        { cwd: root },
      );
      const fromCli = await records(script, join(work, "from-cli"));
      expect(fromCli.length).toBe(6);
      for (const record of fromCli) expect(TaskSchema.safeParse(record).success).toBe(true);
      expect(Object.keys(fromCli[0] as object).sort()).toEqual(Object.keys(fromMethod[0] as object).sort());
    },
    TEST_MS,
  );
});
