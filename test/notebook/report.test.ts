/**
 * `report(run, path)` writes one self-contained HTML file: opened in headless Chromium it renders,
 * records no script errors, and every plot is drawn by the inlined vega (not just the server SVG).
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { pipeline } from "../../sdk/index.js";
import { report, setDisplayTarget } from "../../sdk/notebook/index.js";
import { tempDir } from "../helpers/temp-dir.js";
import { requireTool } from "./external-tool.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = requireTool(CHROMIUM, "apt-get install --no-install-recommends chromium");

describe.skipIf(!hasChromium)("report", () => {
  it("renders in headless Chromium with plots drawn and no console errors", async () => {
    const dir = tempDir();
    setDisplayTarget({ publish: () => {} });
    const run = pipeline("report-test")
      .chat("writer", { prompt: "Say something about {{row.topic}}.", maxTokens: 48 })
      .code("count", (task) => ({ state: { words: (task.history[0]?.content ?? "").split(" ").length } }))
      .run({ source: ["a", "b", "c", "d", "e", "f"].map((topic) => ({ id: topic, topic })), simulator: { speed: 50 } });
    run.metrics();
    const path = await report(run, join(dir, "report.html"));
    setDisplayTarget(undefined);
    const html = readFileSync(path, "utf8");
    expect(html).not.toMatch(/<script[^>]+src=/); // self-contained: nothing fetched
    const { stdout, stderr } = await promisify(execFile)(
      CHROMIUM,
      [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        `--user-data-dir=${join(dir, "profile")}`,
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
        "--dump-dom",
        `file://${path}`,
      ],
      { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
    );
    expect(stdout).toContain('id="matrix-summary"');
    expect(stdout).toMatch(/id="matrix-errors" data-count="0"/);
    expect(stderr).not.toMatch(/CONSOLE\(\d+\)\].*(Uncaught|Error)/);
    expect(stdout.match(/data-rendered="vega"/g) ?? []).toHaveLength(5);
    expect((stdout.match(/class="mark-/g) ?? []).length).toBeGreaterThan(5);
    expect(stdout).toContain('class="matrix-sample"');
  }, 120_000);
});
