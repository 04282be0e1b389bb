/**
 * tslab compiles notebook cells, and every local module they import, to CommonJS. This test does the
 * same to the whole SDK (TypeScript's transpiler, module CommonJS, as tslab does) and loads the public
 * entry point with `require` in a fresh node process, then builds and runs a small pipeline there.
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
    const script = `
      const m = require(${JSON.stringify(join(out, "sdk/index.js"))});
      const p = m.pipeline("cjs").code("a", (task) => ({ state: { x: task.row.n + 1 } }));
      p.run({ source: [{ id: "1", n: 1 }, { id: "2", n: 2 }] }).done().then((s) => process.stdout.write(JSON.stringify(s.counts)));
    `;
    const result = execFileSync(process.execPath, ["-e", script], { encoding: "utf8", cwd: out });
    expect(JSON.parse(result)).toEqual({ done: 2, failed: 0, filtered: 0 });
  });
});
