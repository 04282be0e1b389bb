/**
 * tslab compiles notebook cells, and every local module they import, to CommonJS. This test does the
 * same to the whole SDK (TypeScript's transpiler, module CommonJS, as tslab does) and loads the public
 * entry point with `require` in a fresh node process, then builds and runs a small pipeline there (with a
 * TS module, bundled and loaded the way a notebook cell would).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";

const out = join(process.cwd(), ".matrix", "cjs-check");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith(".ts") ? [path] : [];
  });
}

describe("the SDK under CommonJS (as tslab loads it)", () => {
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it("requires sdk/index and runs a pipeline", () => {
    rmSync(out, { recursive: true, force: true });
    for (const file of sources(join(process.cwd(), "sdk"))) {
      const { outputText, diagnostics } = ts.transpileModule(readFileSync(file, "utf8"), {
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true },
        reportDiagnostics: true,
        fileName: file,
      });
      expect(diagnostics ?? []).toEqual([]);
      const target = join(out, relative(process.cwd(), file)).replace(/\.ts$/, ".js");
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, outputText);
    }
    writeFileSync(join(out, "package.json"), JSON.stringify({ type: "commonjs" }));
    // A pipeline module (TS, importing zod) loads under CommonJS as it does under tsx and on workers.
    writeFileSync(
      join(out, "helpers.ts"),
      `import { z } from "zod";\nexport const inc = (n: number): number => z.number().parse(n) + 1;\n`,
    );
    const script = `
      const m = require(${JSON.stringify(join(out, "sdk/index.js"))});
      const p = m.pipeline("cjs").module("h", "helpers.ts").code("a", (task, ctx) => ({ state: { x: ctx.modules.h.inc(task.row.n) } }));
      const run = p.run({ source: [{ id: "1", n: 1 }, { id: "2", n: 2 }] });
      run.done().then((s) => process.stdout.write(JSON.stringify({ counts: s.counts, x: run.results().map((t) => t.state.x).sort() })));
    `;
    const result = execFileSync(process.execPath, ["-e", script], { encoding: "utf8", cwd: out });
    expect(JSON.parse(result)).toEqual({ counts: { done: 2, failed: 0, filtered: 0 }, x: [2, 3] });
  });
});
