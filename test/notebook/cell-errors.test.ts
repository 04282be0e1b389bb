/**
 * A mistake in a notebook cell reads clearly: tslab reports errors only as the cell's stderr stream,
 * so the SDK's named error and its advice must be there, in words a user can act on.
 */
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { requireTool } from "./external-tool.js";

const run = promisify(execFile);
const root = process.cwd();
const JUPYTER = "/usr/bin/jupyter";
const work = join(root, ".matrix", "notebook-errors");
const hasJupyter = requireTool(JUPYTER, "apt-get install --no-install-recommends jupyter-nbconvert jupyter-client");

const cell = (id: string, source: string) => ({
  id,
  cell_type: "code",
  metadata: {},
  execution_count: null,
  outputs: [],
  source,
});

describe.skipIf(!hasJupyter)("errors in notebook cells", () => {
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("shows the SDK's named error and what to change on the cell's stderr", async () => {
    mkdirSync(work, { recursive: true });
    const notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {
        kernelspec: { name: "matrix-ts", display_name: "TypeScript (Matrix, tslab)", language: "typescript" },
      },
      cells: [
        cell("imports", 'import { pipeline } from "./sdk/index";'),
        cell(
          "captures",
          'const limit = 3;\nconst p = pipeline("oops").code("a", (task) => ({ state: { big: task.hops > limit } }));',
        ),
      ],
    };
    const path = join(work, "errors.ipynb");
    writeFileSync(path, JSON.stringify(notebook));
    const env = { ...process.env, JUPYTER_PATH: root, PYDEVD_DISABLE_FILE_VALIDATION: "1" };
    await run(
      JUPYTER,
      [
        "nbconvert",
        "--to",
        "notebook",
        "--execute",
        "--allow-errors",
        path,
        "--output-dir",
        work,
        "--output",
        "executed",
      ],
      {
        cwd: root,
        env,
        timeout: 120_000,
      },
    );
    const executed = JSON.parse(readFileSync(join(work, "executed.ipynb"), "utf8")) as typeof notebook;
    const stderr = (executed.cells[1]!.outputs as Array<{ name?: string; text?: string | string[] }>)
      .filter((output) => output.name === "stderr")
      .map((output) => (Array.isArray(output.text) ? output.text.join("") : String(output.text)))
      .join("");
    expect(stderr).toContain("CapturedVariableError");
    expect(stderr).toContain("uses the outer variable 'limit'");
    expect(stderr).toContain(".params({ limit })");
  }, 150_000);
});
