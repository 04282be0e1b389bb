/**
 * The project kernel's two patches of tslab (kernels/matrix-ts), against fakes of the tslab modules
 * they wrap (the real kernel runs them in the notebook tests): side-effect imports stay in the
 * declarations later cells are checked against, and a cell's last value is shown through its rich
 * display, once.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const { keepSideEffectImports } = require("../../kernels/matrix-ts/side-effect-imports.cjs") as {
  keepSideEffectImports(module: { createConverter: unknown }, ts: unknown): void;
};
const { showRichValues } = require("../../kernels/matrix-ts/cell-values.cjs") as {
  showRichValues(executorModule: { createExecutor: unknown }, jupyterModule: unknown): void;
};
const ts = require("typescript") as unknown;

interface Converted {
  diagnostics: string[];
  declOutput?: string;
}

describe("kernel: side-effect imports", () => {
  it("are carried into the declarations of every later cell once their cell compiled", () => {
    const converterModule = {
      createConverter: () => ({
        convert: (_prev: string, src: string): Converted => ({
          diagnostics: src.includes("oops") ? ["error"] : [],
          declOutput: "declare const x: number;\n",
        }),
      }),
    };
    keepSideEffectImports(converterModule, ts);
    const converter = (converterModule.createConverter as () => { convert(p: string, s: string): Converted })();
    expect(converter.convert("", "const a = 1;").declOutput).toBe("declare const x: number;\n");
    expect(converter.convert("", 'import { z } from "zod";\nimport "./oops";').diagnostics).toEqual(["error"]);
    const first = converter.convert("", 'import { pipeline } from "./sdk/index";\nimport "./sdk/notebook/index";');
    expect(first.declOutput).toBe('import "./sdk/notebook/index";\ndeclare const x: number;\n');
    // A later cell without the import still carries it; the failed cell's import was never added.
    expect(converter.convert("", "run.watch();").declOutput).toBe(first.declOutput);
  });
});

describe("kernel: a cell's last value", () => {
  function kernel() {
    const logged: unknown[] = [];
    const displayed: unknown[] = [];
    const executorModule = {
      createExecutor: (_root: string, _convs: unknown, console: { log(value: unknown): void }) => ({
        // The fake cell: runs `body`, then prints its value the way tslab does.
        execute: async (body: () => unknown) => {
          console.log(body());
          return true;
        },
      }),
    };
    const jupyterModule = { lastWriteDisplayData: (message: { data: unknown }) => displayed.push(message.data) };
    showRichValues(executorModule, jupyterModule);
    const executor = (
      executorModule.createExecutor as (...args: unknown[]) => { execute(body: () => unknown): Promise<boolean> }
    )("/", {}, { log: (value: unknown) => logged.push(value), error: () => {} });
    return { executor, logged, displayed };
  }
  const DISPLAY = Symbol.for("Jupyter.display");
  const CELL = Symbol.for("matrix-ts.notebook-cell");

  it("shows a value's rich display instead of printing it, and prints other values", async () => {
    const { executor, logged, displayed } = kernel();
    await executor.execute(() => ({ [DISPLAY]: () => ({ "text/html": "<b>hi</b>" }) }));
    await executor.execute(() => 42);
    expect(displayed).toEqual([{ "text/html": "<b>hi</b>" }]);
    expect(logged).toEqual([42]);
  });

  it("does not show again what the cell already displayed; a later cell shows it", async () => {
    const { executor, displayed } = kernel();
    const value = { [DISPLAY]: () => ({ "text/plain": "v" }) };
    await executor.execute(() => {
      (globalThis as Record<symbol, { shown: WeakSet<object> }>)[CELL]!.shown.add(value);
      return value;
    });
    expect(displayed).toEqual([]);
    await executor.execute(() => value);
    expect(displayed).toEqual([{ "text/plain": "v" }]);
  });

  it("shows nothing for an empty bundle", async () => {
    const { executor, logged, displayed } = kernel();
    await executor.execute(() => ({ [DISPLAY]: () => ({}) }));
    expect([logged, displayed]).toEqual([[], []]);
  });
});
