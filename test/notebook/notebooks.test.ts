/**
 * Every notebook in notebooks/ executes headless with the project kernel (`jupyter nbconvert
 * --execute`); the executed quickstart holds a live-updated progress display, an HTML table and a
 * plot; and the pipeline built in a notebook, exported (by `pipeline.export` and by `matrix
 * export`), runs with `matrix run` and writes records that match TaskSchema.
 */
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TaskSchema } from "../../sdk/schema/task.js";
import { requireTool } from "./external-tool.js";

const run = promisify(execFile);
const root = process.cwd();
const JUPYTER = "/usr/bin/jupyter";
const work = join(root, ".matrix", "notebook-test");
const hasJupyter = requireTool(JUPYTER, "apt-get install --no-install-recommends jupyter-nbconvert jupyter-client");
const notebooks = readdirSync(join(root, "notebooks")).filter((name) => name.endsWith(".ipynb"));

interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
}
interface Notebook {
  cells: Array<{ id: string; cell_type: string; source: string | string[]; outputs?: Output[] }>;
}

const env = { ...process.env, JUPYTER_PATH: root, PYDEVD_DISABLE_FILE_VALIDATION: "1" };
const text = (value: unknown) => (Array.isArray(value) ? value.join("") : String(value ?? ""));

/** Per notebook: five kernels compile at once on two cores, and a loaded machine stretches that. */
const EXECUTE_MS = 240_000;
const TEST_MS = 300_000;

async function execute(name: string): Promise<Notebook> {
  const args = ["nbconvert", "--to", "notebook", "--execute", `notebooks/${name}`, "--output-dir", work];
  try {
    await run(JUPYTER, args, { cwd: root, env, timeout: EXECUTE_MS });
  } catch (error) {
    // tslab reports errors only as stderr streams, and nbconvert prints a blank error: execute again
    // keeping errors, and show the failing cell's stderr.
    await run(JUPYTER, [...args, "--allow-errors"], { cwd: root, env, timeout: EXECUTE_MS }).catch(() => {});
    const path = join(work, name);
    const failing = existsSync(path)
      ? (JSON.parse(readFileSync(path, "utf8")) as Notebook).cells
          .flatMap((cell) =>
            (cell.outputs ?? []).filter((o) => o.name === "stderr").map((o) => `cell ${cell.id}:\n${text(o.text)}`),
          )
          .join("\n")
      : "";
    throw new Error(`${name} failed to execute:\n${failing || (error as Error).message}`);
  }
  return JSON.parse(readFileSync(join(work, name), "utf8")) as Notebook;
}

describe.skipIf(!hasJupyter)("notebooks", () => {
  const executed = new Map<string, Promise<Notebook>>();
  beforeAll(() => {
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    // Started together: each kernel spends most of its time compiling, and two cores overlap that well.
    for (const name of notebooks) executed.set(name, execute(name));
    for (const promise of executed.values()) promise.catch(() => {});
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it.each(notebooks)(
    "%s executes headless with the project kernel",
    async (name) => {
      const notebook = await executed.get(name)!;
      const stderr = notebook.cells.flatMap((cell) => (cell.outputs ?? []).filter((o) => o.name === "stderr"));
      expect(stderr.map((o) => text(o.text))).toEqual([]);
    },
    TEST_MS,
  );

  it(
    "the executed quickstart holds a live progress display, an HTML table and a plot",
    async () => {
      const outputs = (await executed.get("quickstart.ipynb")!).cells.flatMap((cell) => cell.outputs ?? []);
      const html = outputs.map((o) => text(o.data?.["text/html"]));
      // One progress output, in its final state: the first display said "running", so the updates
      // (update_display_data) were folded into it.
      const progress = html.filter((h) => h.includes('class="matrix-progress"'));
      expect(progress).toHaveLength(1);
      expect(progress[0]).toContain('data-state="finished"');
      expect(html.some((h) => h.includes('class="matrix-table"') && h.includes("<td"))).toBe(true);
      const plots = outputs.filter((o) => o.data?.["application/vnd.vegalite.v5+json"]);
      expect(plots.length).toBeGreaterThan(0);
      expect(text(plots[0]!.data!["text/html"])).toContain('src="data:image/svg+xml;base64,');
      expect(typeof plots[0]!.data!["application/vnd.vegalite.v5+json"]).toBe("object");
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
