/**
 * Runs a notebook headless with the project kernel (`jupyter nbconvert --execute`) and reads the
 * executed copy, for the notebook tests. tslab reports errors only as stderr streams (nbconvert then
 * prints a blank error), so a failure is re-run keeping errors and reported with the failing cells'
 * stderr.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
export const JUPYTER = "/usr/bin/jupyter";
export const JUPYTER_INSTALL = "apt-get install --no-install-recommends jupyter-nbconvert jupyter-client";

export interface Output {
  output_type: string;
  name?: string;
  text?: string | string[];
  data?: Record<string, unknown>;
}
export interface Cell {
  id: string;
  cell_type: string;
  source: string | string[];
  outputs?: Output[];
}
export interface Notebook {
  cells: Cell[];
}

export const text = (value: unknown) => (Array.isArray(value) ? value.join("") : String(value ?? ""));

/** A notebook of code cells for the project kernel. */
export function writeNotebook(path: string, sources: readonly string[]): void {
  const cells = sources.map((source, index) => ({
    id: `c${index}`,
    cell_type: "code",
    metadata: {},
    execution_count: null,
    outputs: [],
    source,
  }));
  const metadata = {
    kernelspec: { name: "matrix-ts", display_name: "TypeScript (Matrix, tslab)", language: "typescript" },
  };
  writeFileSync(path, JSON.stringify({ nbformat: 4, nbformat_minor: 5, metadata, cells }));
}

/** Executes `path` (relative to the repository root, or absolute) into `outDir`; returns the executed notebook. */
export async function executeNotebook(
  path: string,
  outDir: string,
  root = process.cwd(),
  timeoutMs = 240_000,
): Promise<Notebook> {
  const env = { ...process.env, JUPYTER_PATH: root, PYDEVD_DISABLE_FILE_VALIDATION: "1" };
  const args = ["nbconvert", "--to", "notebook", "--execute", path, "--output-dir", outDir];
  const executed = join(outDir, basename(path));
  try {
    await run(JUPYTER, args, { cwd: root, env, timeout: timeoutMs });
  } catch (error) {
    await run(JUPYTER, [...args, "--allow-errors"], { cwd: root, env, timeout: timeoutMs }).catch(() => {});
    const failing = existsSync(executed)
      ? (JSON.parse(readFileSync(executed, "utf8")) as Notebook).cells
          .flatMap((cell) =>
            (cell.outputs ?? []).filter((o) => o.name === "stderr").map((o) => `cell ${cell.id}:\n${text(o.text)}`),
          )
          .join("\n")
      : "";
    throw new Error(`${path} failed to execute:\n${failing || (error as Error).message}`);
  }
  return JSON.parse(readFileSync(executed, "utf8")) as Notebook;
}

/** Every output of the notebook's cells, in order. */
export const outputsOf = (notebook: Notebook): Output[] => notebook.cells.flatMap((cell) => cell.outputs ?? []);
