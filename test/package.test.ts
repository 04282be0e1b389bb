/**
 * The packaging round trip: `npm pack` (which builds dist/ with `prepack`), install the tarball into
 * a fresh project offline, then use it from plain Node — `import` (ESM), `require` (CommonJS), the
 * declarations with the project's TypeScript, the `matrix` command — and run 5-row pipelines on the
 * simulator.
 *
 * Offline: npm's cache holds the dependencies' tarballs (`npm ci` put them there) but npm 11 asks
 * for full registry documents to resolve a plain `npm install`, which the cache does not hold. The
 * consumer therefore gets a lockfile: this package's own resolved production dependencies (from
 * package-lock.json) under the tarball, and `npm ci --offline` installs exactly those from the cache.
 * Nothing is downloaded: a missing tarball fails the install.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "./helpers/temp-dir.js";

const exec = promisify(execFile);
const root = process.cwd();
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

interface LockEntry {
  dev?: boolean;
  [key: string]: unknown;
}

/** A lockfile for a project depending on the tarball, with the repository's production tree. */
function consumerLock(tarball: string): object {
  const lock = JSON.parse(readFileSync(join(root, "package-lock.json"), "utf8")) as {
    packages: Record<string, LockEntry>;
  };
  const self = lock.packages[""]!;
  const integrity = `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`;
  const packages: Record<string, unknown> = {
    "": { name: "consumer", dependencies: { "matrix-ts": `file:${tarball}` } },
    "node_modules/matrix-ts": {
      version: self.version,
      resolved: `file:${tarball}`,
      integrity,
      license: self.license,
      dependencies: self.dependencies,
      peerDependencies: self.peerDependencies,
      peerDependenciesMeta: self.peerDependenciesMeta,
      bin: self.bin,
      engines: self.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path && !entry.dev) packages[path] = entry;
  return { name: "consumer", lockfileVersion: 3, requires: true, packages };
}

const PIPELINE = `pipeline("pkg")
  .chat("writer", { prompt: "Say something about {{row.topic}}.", maxTokens: 24 })
  .run({ source: ["a", "b", "c", "d", "e"].map((topic, i) => ({ id: "r" + i, topic })), simulator: { speed: 50 } })`;

describe("the npm package", () => {
  let project: string;
  let tarball: string;
  let packed: string[];

  beforeAll(async () => {
    const dir = tempDir("matrix-pack-");
    await exec(npm, ["pack", "--pack-destination", dir, "--silent"], { cwd: root, timeout: 180_000 });
    tarball = join(
      dir,
      readdirSync(dir).find((name) => name.endsWith(".tgz"))!,
    );
    packed = (await exec("tar", ["-tzf", tarball])).stdout.split("\n").filter(Boolean);
    project = join(dir, "consumer");
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "consumer", private: true, dependencies: { "matrix-ts": `file:${tarball}` } }),
    );
    writeFileSync(join(project, "package-lock.json"), JSON.stringify(consumerLock(tarball)));
    await exec(npm, ["ci", "--offline", "--no-audit", "--no-fund", "--loglevel", "error"], {
      cwd: project,
      timeout: 180_000,
    });
  }, 300_000);

  it("ships compiled JavaScript with declarations, not the TypeScript source", () => {
    expect(packed).toContain("package/dist/index.js");
    expect(packed).toContain("package/dist/index.d.ts");
    expect(packed).toContain("package/dist/notebook/index.js");
    expect(packed).toContain("package/datasets/quickstart/questions.jsonl");
    expect(packed.filter((path) => path.startsWith("package/sdk/"))).toEqual([]);
    expect(packed.filter((path) => path.startsWith("package/test/"))).toEqual([]);
  });

  it("pins every overridden package as a dependency (a consumer's npm install applies no overrides of ours)", async () => {
    // npm applies `overrides` only in the project being installed. Without the pin, a plain
    // `npm install matrix-ts-*.tgz` takes arquero's @uwdata/flechette@^2 as 2.7.0, whose
    // @uwdata/wk-geojson dependency is not on the registry (E404), so the install fails.
    const manifest = JSON.parse((await exec("tar", ["-xzOf", tarball, "package/package.json"])).stdout) as {
      dependencies: Record<string, string>;
      overrides?: Record<string, string>;
    };
    expect(Object.keys(manifest.overrides ?? {})).toContain("@uwdata/flechette");
    for (const [name, version] of Object.entries(manifest.overrides ?? {}))
      expect(manifest.dependencies[name], name).toBe(version);
    const installed = JSON.parse(
      readFileSync(join(project, "node_modules", "@uwdata", "flechette", "package.json"), "utf8"),
    ) as { version: string };
    expect(installed.version).toBe(manifest.dependencies["@uwdata/flechette"]);
  });

  it("imports as ESM and runs a 5-row pipeline on the simulator", async () => {
    writeFileSync(
      join(project, "esm.mjs"),
      `import { pipeline } from "matrix-ts";\nimport { tableLine } from "matrix-ts/notebook";\nimport * as aq from "arquero";\n` +
        `const run = ${PIPELINE};\nconst summary = await run.done();\n` +
        `console.log(JSON.stringify({ counts: summary.counts, replies: run.results().filter((t) => t.history[0]?.content).length, line: tableLine(aq.table({ x: [1, 2] })) }));\n`,
    );
    const { stdout } = await exec(process.execPath, ["esm.mjs"], { cwd: project, timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({
      counts: { done: 5, failed: 0, filtered: 0 },
      replies: 5,
      line: "ColumnTable 2 rows × 1 columns: x",
    });
  });

  it("requires as CommonJS and runs a 5-row pipeline on the simulator", async () => {
    writeFileSync(
      join(project, "cjs.cjs"),
      `const { pipeline, Pipeline } = require("matrix-ts");\nconst run = ${PIPELINE};\n` +
        `run.done().then((summary) => console.log(JSON.stringify({ counts: summary.counts, roundTrip: Pipeline.fromJSON(JSON.stringify(pipeline("x").code("a", () => undefined).toJSON())).name })));\n`,
    );
    const { stdout, stderr } = await exec(process.execPath, ["cjs.cjs"], { cwd: project, timeout: 60_000 });
    expect(JSON.parse(stdout)).toEqual({ counts: { done: 5, failed: 0, filtered: 0 }, roundTrip: "x" });
    expect(stderr).toBe(""); // no ExperimentalWarning for require(esm)
  });

  it("type-checks a consumer against the declarations (and catches a misuse)", async () => {
    writeFileSync(
      join(project, "typed.mts"),
      `import { pipeline, type RunSummary, type Task } from "matrix-ts";\nimport { watch, type WatchOptions } from "matrix-ts/notebook";\n` +
        `const options: WatchOptions = { rows: 5, plots: ["throughput"] };\nconst run = ${PIPELINE};\n` +
        `const summary: RunSummary = await run.done();\nconst done: number = summary.counts.done;\nconst first: Task | undefined = run.results()[0];\n` +
        `export { options, done, first, watch };\n`,
    );
    writeFileSync(
      join(project, "wrong.mts"),
      `import { pipeline } from "matrix-ts";\nconst n: number = pipeline("x");\nexport { n };\n`,
    );
    // One compiler run over both files (it is the slow part): only the misuse may be reported.
    const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
    const flags = ["--noEmit", "--strict", "--skipLibCheck", "--module", "nodenext", "--target", "es2022"];
    const types = ["--types", "node", "--typeRoots", join(root, "node_modules", "@types")];
    const result = await exec(process.execPath, [tsc, ...flags, ...types, "typed.mts", "wrong.mts"], {
      cwd: project,
      timeout: 120_000,
    }).then(
      () => ({ stdout: "" }),
      (error: { stdout: string }) => error,
    );
    const errors = result.stdout.split("\n").filter((line) => line.includes("error TS"));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^wrong\.mts.*Type 'Pipeline' is not assignable to type 'number'/);
  }, 240_000);

  it("runs the matrix command from compiled code, without tsx, on a .json pipeline and recipes (their modules from dist/)", async () => {
    writeFileSync(
      join(project, "define.mjs"),
      `import { writeFileSync } from "node:fs";\nimport { pipeline } from "matrix-ts";\n` +
        `const rows = ["a", "b", "c", "d", "e"].map((topic, i) => ({ id: "r" + i, topic }));\n` +
        `writeFileSync("pipeline.json", JSON.stringify(pipeline("cli").source(rows).chat("writer", { prompt: "Say {{row.topic}}.", maxTokens: 16 }).toJSON()));\n`,
    );
    await exec(process.execPath, ["define.mjs"], { cwd: project, timeout: 60_000 });
    // With tsx out of reach, a command that needed it would fail to start.
    const tsx = join(project, "node_modules", "tsx");
    renameSync(tsx, `${tsx}-hidden`);
    try {
      const bin = join(project, "node_modules", ".bin", "matrix");
      const lines = async (args: string[], out: string) => {
        await exec(bin, [...args, "--out", out, "--quiet"], { cwd: project, timeout: 120_000 });
        return readFileSync(join(project, out, "output.jsonl"), "utf8")
          .trim()
          .split("\n");
      };
      expect(await lines(["run", "pipeline.json"], "out-json")).toHaveLength(5);
      expect(await lines(["run", "quickstart", "--rows", "5"], "out-recipe")).toHaveLength(5);
      // Recipes whose runtime is a module (bundled with the run) find it compiled under dist/.
      const finished = async (args: string[], out: string) => {
        const { stdout } = await exec(bin, [...args, "--out", out, "--quiet"], { cwd: project, timeout: 120_000 });
        const { counts } = JSON.parse(stdout) as { counts: Record<string, number> };
        return counts.done + counts.filtered + counts.failed;
      };
      expect(await finished(["run", "natural-reasoning", "--rows", "6"], "out-nr")).toBe(6);
      expect(await finished(["run", "tau", "--option", "domain=mock", "--rows", "2"], "out-tau")).toBe(2);
    } finally {
      renameSync(`${tsx}-hidden`, tsx);
    }
  }, 480_000);

  it("installed nothing but the production dependencies", () => {
    expect(existsSync(join(project, "node_modules", "matrix-ts", "dist", "index.js"))).toBe(true);
    for (const dev of ["vitest", "typescript", "prettier", "tslab"])
      expect(existsSync(join(project, "node_modules", dev)), dev).toBe(false);
  });
});
