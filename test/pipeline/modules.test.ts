/**
 * Pipeline modules on the local bus: a TypeScript file referenced by path is bundled (its local
 * imports inlined, npm imports left to `require`), loaded once, and reached as `ctx.modules.<name>`.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ModuleLoadError, PipelineDefinitionError } from "../../sdk/errors.js";
import { Pipeline, pipeline } from "../../sdk/pipeline/pipeline.js";
import { tempDir } from "../helpers/temp-dir.js";

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, n: i }));

/** A module with a TS type annotation, a relative import (bundled) and an npm import (external). */
function writeHelpers(dir: string): string {
  writeFileSync(join(dir, "scale.ts"), "export const FACTOR: number = 2;\n");
  writeFileSync(
    join(dir, "helpers.ts"),
    [
      `import { z } from "zod";`,
      `import { FACTOR } from "./scale";`,
      `const Row = z.object({ n: z.number() });`,
      `type Row = z.infer<typeof Row>;`,
      `export const loads = { count: 0 };`,
      `loads.count++;`,
      `export function scaled(row: unknown): number {`,
      `  const parsed: Row = Row.parse(row);`,
      `  return parsed.n * FACTOR;`,
      `}`,
    ].join("\n"),
  );
  // Relative to the working directory, as a notebook user would write it.
  return relative(process.cwd(), join(dir, "helpers.ts"));
}

const usesHelpers = (path: string) =>
  pipeline("modules")
    .module("helpers", path)
    .code("a", (task, ctx) => ({
      state: { scaled: ctx.modules.helpers.scaled(task.row), loads: ctx.modules.helpers.loads.count },
    }));

describe("pipeline modules (local bus)", () => {
  it("a code role calls a TS module that imports a local file and zod", async () => {
    const path = writeHelpers(tempDir());
    const run = usesHelpers(path).run({ source: rows(20) });
    const summary = await run.done();
    expect(summary.counts).toEqual({ done: 20, failed: 0, filtered: 0 });
    const results = run.results();
    expect(results.map((task) => task.state.scaled).sort((a, b) => Number(a) - Number(b))).toEqual(
      rows(20).map((row) => row.n * 2),
    );
    // Loaded once for the run, not once per task.
    expect(new Set(results.map((task) => task.state.loads))).toEqual(new Set([1]));
  });

  it("ctx.modules is {} when the pipeline has none", async () => {
    const run = pipeline("none")
      .code("a", (_task, ctx) => ({ state: { keys: Object.keys(ctx.modules).length } }))
      .run({ source: rows(1) });
    await run.done();
    expect(run.results()[0]!.state.keys).toBe(0);
  });

  it("toJSON / fromJSON keep the modules; names must be identifiers", () => {
    const p = usesHelpers("lib/helpers.ts");
    const json = p.toJSON();
    expect(json.modules).toEqual({ helpers: { path: "lib/helpers.ts" } });
    expect(Pipeline.fromJSON(JSON.stringify(json)).toJSON()).toEqual(json);
    expect(() => p.module("not-a-name", "x.ts")).toThrow(PipelineDefinitionError);
    expect(() => Pipeline.fromJSON({ ...json, modules: { "1x": { path: "x.ts" } } })).toThrow(/modules/);
  });

  it("a missing module file fails at run() naming modules.<name> and the path", () => {
    const p = usesHelpers("no/such/helpers.ts");
    let error: unknown;
    try {
      p.run({ source: rows(1) });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(PipelineDefinitionError);
    expect((error as PipelineDefinitionError).path).toBe("modules.helpers");
    expect((error as Error).message).toContain("no/such/helpers.ts");
  });

  it("a module that does not bundle fails the run naming the module, the path and the line", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "broken.ts"), "export const x: number = ;\n");
    const path = join(dir, "broken.ts");
    const run = pipeline("broken")
      .module("broken", path)
      .code("a", () => ({}))
      .run({ source: rows(3) });
    const error = await run.done().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(PipelineDefinitionError);
    expect((error as Error).message).toMatch(/modules\.broken/);
    expect((error as Error).message).toContain(path);
    expect((error as Error).message).toMatch(/broken\.ts:1:/);
  });

  it("a module that throws while loading fails the run with ModuleLoadError naming it", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "boom.ts"), `throw new Error("no config found");\nexport const unused = 1;\n`);
    const run = pipeline("boom")
      .module("boom", join(dir, "boom.ts"))
      .code("a", () => ({}))
      .run({ source: rows(3) });
    const error = await run.done().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ModuleLoadError);
    expect((error as ModuleLoadError).module).toBe("boom");
    expect((error as Error).message).toContain("no config found");
  });

  it("a JSON file is a data module: ctx.modules.<name> is its value; bad JSON names the module", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "prices.json"), JSON.stringify({ apple: 3, pear: 5 }));
    const run = pipeline("data")
      .module("prices", join(dir, "prices.json"))
      .code("a", (task, ctx) => ({ state: { price: ctx.modules.prices[task.row!.fruit as string] } }))
      .run({ source: [{ id: "1", fruit: "pear" }] });
    await run.done();
    expect(run.results()[0]!.state.price).toBe(5);
    writeFileSync(join(dir, "bad.json"), "{ not json");
    const broken = pipeline("bad-data")
      .module("bad", join(dir, "bad.json"))
      .code("a", () => ({}))
      .run({ source: rows(1) });
    await expect(broken.done()).rejects.toThrow(/modules\.bad.*is not valid JSON/);
  });

  it("export keeps module paths as given and lists them in the script header", () => {
    const dir = tempDir();
    const script = usesHelpers("lib/helpers.ts").export(join(dir, "p.ts"));
    const text = readFileSync(script, "utf8");
    expect(text).toContain("ctx.modules.helpers  lib/helpers.ts");
    expect(text).toContain(`"path": "lib/helpers.ts"`);
    const json = usesHelpers("lib/helpers.ts").export(join(dir, "p.json"));
    expect(Pipeline.fromJSON(readFileSync(json, "utf8")).toJSON().modules).toEqual({
      helpers: { path: "lib/helpers.ts" },
    });
  });
});
