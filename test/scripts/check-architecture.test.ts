import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";

function check(root: string): { ok: boolean; output: string } {
  try {
    const output = execFileSync(process.execPath, ["--import", "tsx", "scripts/check-architecture.ts", root], {
      encoding: "utf8",
      stdio: "pipe",
    });
    return { ok: true, output };
  } catch (error) {
    return { ok: false, output: String((error as { stderr?: string }).stderr) };
  }
}

describe("architecture check", () => {
  it("passes on this repository", () => {
    const result = check(".");
    expect(result.output).toContain("passed");
    expect(result.ok).toBe(true);
  });

  it("catches an upward import, a foreign package, import.meta and console", () => {
    const root = tempDir();
    mkdirSync(join(root, "sdk/bus"), { recursive: true });
    mkdirSync(join(root, "sdk/pipeline"), { recursive: true });
    writeFileSync(join(root, "sdk/pipeline/p.ts"), "export const p = 1;\n");
    writeFileSync(
      join(root, "sdk/bus/b.ts"),
      'import { p } from "../pipeline/p.js";\nimport OpenAI from "openai";\nconst here = import.meta.url;\nconsole.log(p, here, OpenAI);\n',
    );
    const result = check(root);
    expect(result.ok).toBe(false);
    expect(result.output).toContain("'bus' may not import 'pipeline'");
    expect(result.output).toContain("only llm may import 'openai'");
    expect(result.output).toContain("import.meta");
    expect(result.output).toContain("console in library code");
  });
});
