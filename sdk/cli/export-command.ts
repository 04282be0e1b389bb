/**
 * `matrix export <notebook.ipynb> [--out script.ts] [--name variable]`: extracts the pipeline a
 * notebook builds into a script that `matrix run` runs.
 *
 * Where you are: `cli/`, loaded only when `matrix export` runs (flags in program.ts). Convention
 * (docs/notebooks.md): code cells whose first line is `// matrix:export` (optionally
 * `// matrix:export <variable>`) build the pipeline; without such a cell, the last cell that calls
 * `pipeline(` or `recipe(` is used. The import lines of every cell
 * plus the chosen cells are evaluated as one module from the notebook's project root (where the
 * kernel runs cells), and the pipeline value (the named variable, else the last top-level
 * `const x = ...` holding a Pipeline) is written out with `exportPipeline`.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError } from "../errors.js";
import { exportPipeline } from "../pipeline/export-script.js";
import { Pipeline } from "../pipeline/pipeline.js";
import type { CliIo } from "./cli-io.js";
import type { ExportFlags } from "./program.js";

interface Cell {
  cell_type: string;
  source: string | string[];
}

const MARKER = /^\s*\/\/\s*matrix:export\b[ \t]*([A-Za-z_$][\w$]*)?/;
const IMPORT = /^\s*import\s[^;]*?from\s+["'][^"']+["'];?\s*$/gm;

/** The directory cells run in: the nearest ancestor holding kernels/ or package.json. */
function projectRoot(notebook: string): string {
  for (let dir = dirname(notebook); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "kernels")) || existsSync(join(dir, "package.json"))) return dir;
    if (dirname(dir) === dir) return dirname(notebook);
  }
}

export function selectCells(cells: Cell[]): { imports: string[]; code: string[]; variable?: string } {
  const sources = cells
    .filter((cell) => cell.cell_type === "code")
    .map((cell) => (Array.isArray(cell.source) ? cell.source.join("") : cell.source));
  const imports = [...new Set(sources.flatMap((source) => source.match(IMPORT) ?? []).map((line) => line.trim()))];
  const marked = sources.filter((source) => MARKER.test(source));
  const chosen =
    marked.length > 0 ? marked : sources.filter((source) => /\b(pipeline|recipe)\(/.test(source)).slice(-1);
  if (chosen.length === 0) {
    throw new ConfigError(
      "notebook",
      "no cell builds a pipeline: start the cell that does with '// matrix:export <variable>'",
    );
  }
  const variable = marked
    .map((source) => MARKER.exec(source)?.[1])
    .filter(Boolean)
    .pop();
  return { imports, code: chosen.map((source) => source.replace(IMPORT, "")), variable };
}

function lastConst(code: string[]): string[] {
  return code.flatMap((source) =>
    [...source.matchAll(/^(?:const|let|var)\s+([A-Za-z_$][\w$]*)/gm)].map((match) => match[1]!),
  );
}

export async function command(target: string, flags: ExportFlags, io: CliIo): Promise<number> {
  const notebook = resolve(target);
  if (!existsSync(notebook)) throw new ConfigError("notebook", `'${target}' does not exist`);
  let cells: Cell[];
  try {
    cells = (JSON.parse(readFileSync(notebook, "utf8")) as { cells?: Cell[] }).cells ?? [];
  } catch (error) {
    throw new ConfigError("notebook", `'${target}' is not a notebook (.ipynb JSON): ${(error as Error).message}`);
  }
  const selected = selectCells(cells);
  const candidates = flags.name
    ? [flags.name]
    : selected.variable
      ? [selected.variable]
      : lastConst(selected.code).reverse();
  const root = projectRoot(notebook);
  // Written next to the cells' working directory so their relative imports (./sdk/index) resolve.
  const module = join(root, `.matrix-export-${process.pid}.mts`);
  // Bare imports too: TypeScript drops an import whose names the chosen cells do not use, and with it
  // side effects the cells rely on (sdk/notebook installs `pipeline.show()`).
  const bare = selected.imports.map((line) => `import ${/from\s+(["'][^"']+["'])/.exec(line)![1]};`);
  writeFileSync(
    module,
    `${[...bare, ...selected.imports].join("\n")}\n${selected.code.join("\n;\n")}\n;\n` +
      `export const __candidates = [${candidates.map((name) => `typeof ${name} === "undefined" ? undefined : ${name}`).join(", ")}];\n`,
  );
  let found: Pipeline | undefined;
  try {
    const loaded = (await import(pathToFileURL(module).href)) as { __candidates: unknown[] };
    const value = loaded.__candidates.find(
      (candidate) => typeof (candidate as Pipeline | undefined)?.toJSON === "function",
    );
    if (value) found = Pipeline.fromJSON((value as Pipeline).toJSON());
  } finally {
    rmSync(module, { force: true });
  }
  if (!found) {
    throw new ConfigError(
      "notebook",
      `no pipeline variable found (tried ${candidates.join(", ") || "none"}); name it with '// matrix:export <variable>' or --name`,
    );
  }
  const out = flags.out ?? join(dirname(notebook), `${basename(notebook, ".ipynb")}.pipeline.ts`);
  const written = exportPipeline(found.toJSON(), out, basename(notebook));
  io.stdout(`${written}\n`);
  return 0;
}
