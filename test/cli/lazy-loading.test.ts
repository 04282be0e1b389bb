/**
 * The command tree is cheap and each action loads its own code: `matrix --help` loads no pipeline,
 * LLM or NATS code, and `matrix run` (local bus) never loads the NATS client or the notebook code.
 * Measured by recording every module the real binary resolves (a node module-resolution hook).
 */
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";

function loadedBy(args: string[]): string[] {
  const dir = tempDir();
  const log = join(dir, "imports.log");
  writeFileSync(
    join(dir, "hooks.mjs"),
    `import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(${JSON.stringify(log)}, result.url + "\\n");
  return result;
}`,
  );
  writeFileSync(
    join(dir, "register.mjs"),
    `import { register } from "node:module";\nregister(${JSON.stringify(pathToFileURL(join(dir, "hooks.mjs")).href)});`,
  );
  const result = spawnSync(process.execPath, ["--import", join(dir, "register.mjs"), "bin/matrix.js", ...args], {
    encoding: "utf8",
    timeout: 90_000,
    env: { ...process.env, OPENAI_BASE_URL: "", OPENAI_BASE_URLS: "" },
  });
  expect(result.status, result.stderr).toBe(0);
  return readFileSync(log, "utf8").split("\n").filter(Boolean);
}

describe("what each command loads", () => {
  it("matrix --help loads the command tree only: no pipeline, LLM, NATS or notebook code", () => {
    const loaded = loadedBy(["--help"]);
    expect(loaded.some((url) => url.endsWith("/sdk/cli/program.ts"))).toBe(true);
    for (const heavy of [
      "/sdk/pipeline/",
      "/sdk/llm/llm-pool",
      "/node_modules/openai/",
      "/node_modules/zod/",
      "@nats-io",
      "/sdk/notebook/",
    ])
      expect(loaded.filter((url) => url.includes(heavy))).toEqual([]);
  });

  it("matrix run on the local bus never loads the NATS client or the notebook code", () => {
    const out = tempDir();
    const loaded = loadedBy(["run", "quickstart", "--rows", "2", "--quiet", "--out", out]);
    expect(loaded.some((url) => url.endsWith("/sdk/cli/run-command.ts"))).toBe(true);
    for (const heavy of ["@nats-io", "/sdk/bus/nats/", "/sdk/notebook/", "tslab", "/sdk/cli/worker-command.ts"])
      expect(loaded.filter((url) => url.includes(heavy))).toEqual([]);
  });
});
