/**
 * Runs a notebook headless with the project kernel (`jupyter nbconvert --execute`) and reads the
 * executed copy, for the notebook tests. tslab reports errors only as stderr streams (nbconvert then
 * prints a blank error), so a failure is re-run keeping errors and reported with the failing cells'
 * stderr.
 *
 * Kernels run at most MAX_KERNELS at a time per test file: each spends tens of seconds of CPU
 * compiling, and on two shared cores starting seven at once only stretches every one of them until
 * they all reach their deadline together. The deadlines are hang guards, not speed checks: per cell,
 * for the kernel's start, and for the whole notebook counted from when its kernel got a slot.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

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

/** How many kernels one test file runs at once. */
const MAX_KERNELS = 2;
/** A whole notebook, once its kernel has a slot (hang guard). */
export const EXECUTE_MS = 600_000;
/** A test awaiting one notebook: its execution, plus the wait for a slot behind the one before it. */
export const AWAIT_NOTEBOOK_MS = EXECUTE_MS + 120_000;
const CELL_S = 300;
const STARTUP_S = 300;

/**
 * Runs jupyter in its own process group, so a timeout stops the kernel it started too (killing
 * only nbconvert would leave the kernel running). Resolves when it exits; rejects on a non-zero exit.
 */
function jupyter(args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(JUPYTER, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        // Already gone.
      }
    }, options.timeoutMs);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else
        reject(
          Object.assign(new Error(`jupyter ${args.join(" ")} exited with ${code ?? signal}\n${stderr}`), { killed }),
        );
    });
  });
}

let running = 0;
const queue: Array<() => void> = [];

async function withKernelSlot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_KERNELS) await new Promise<void>((resolve) => queue.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    queue.shift()?.();
  }
}

/**
 * Executes `path` (relative to the repository root, or absolute) into `outDir`; returns the executed
 * notebook. Waits for a kernel slot first (see MAX_KERNELS).
 */
export function executeNotebook(
  path: string,
  outDir: string,
  root = process.cwd(),
  timeoutMs = EXECUTE_MS,
  /** Added to the kernel's environment (e.g. NATS_URL for the cluster notebook). */
  extraEnv: NodeJS.ProcessEnv = {},
): Promise<Notebook> {
  return withKernelSlot(async () => {
    const env = { ...process.env, ...extraEnv, JUPYTER_PATH: root, PYDEVD_DISABLE_FILE_VALIDATION: "1" };
    const args = [
      "nbconvert",
      "--to",
      "notebook",
      "--execute",
      `--ExecutePreprocessor.timeout=${CELL_S}`,
      `--ExecutePreprocessor.startup_timeout=${STARTUP_S}`,
      path,
      "--output-dir",
      outDir,
    ];
    const executed = join(outDir, basename(path));
    const started = performance.now();
    try {
      await jupyter(args, { cwd: root, env, timeoutMs });
    } catch (error) {
      if ((error as { killed?: boolean }).killed) {
        // Re-running would only wait as long again; say what happened instead.
        throw new Error(
          `${path} did not finish within ${timeoutMs / 1000} s (killed after ${Math.round((performance.now() - started) / 1000)} s; a hung cell, or a machine far too loaded)`,
        );
      }
      await jupyter([...args, "--allow-errors"], { cwd: root, env, timeoutMs }).catch(() => {});
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
  });
}

/** Every output of the notebook's cells, in order. */
export const outputsOf = (notebook: Notebook): Output[] => notebook.cells.flatMap((cell) => cell.outputs ?? []);
