/**
 * The interactive table in a real browser (headless Chromium): the inline script replaces the
 * static table, sorts on a header click, filters by words and by `column>value`, pages, and records
 * no script errors. (The static fallback, for front ends that run no scripts, is checked in
 * table-view.test.ts.)
 */
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import * as aq from "arquero";
import { describe, expect, it } from "vitest";
import { tableHtml } from "../../sdk/notebook/index.js";
import { tempDir } from "../helpers/temp-dir.js";
import { requireTool } from "./external-tool.js";

const CHROMIUM = "/usr/bin/chromium";
const hasChromium = requireTool(CHROMIUM, "apt-get install --no-install-recommends chromium");

// Drives the table the way a person would, then writes what it saw into #result.
const DRIVER = `
<pre id="result"></pre>
<script>
  window.errors = [];
  window.addEventListener("error", function (e) { window.errors.push(e.message); });
  setTimeout(function () {
    var root = document.querySelector(".matrix-table-view");
    var seen = { interactive: root.getAttribute("data-interactive"), staticHidden: root.querySelector(".matrix-table-static").style.display };
    var info = function () { return root.querySelector(".matrix-table-info").textContent; };
    var firstColumn = function () { return Array.prototype.map.call(root.querySelectorAll(".matrix-table-interactive tr td:first-child"), function (td) { return td.textContent; }); };
    seen.pageOne = firstColumn();
    seen.infoStart = info();
    var header = function (name) { return Array.prototype.filter.call(root.querySelectorAll(".matrix-table-interactive th"), function (th) { return th.textContent.indexOf(name) === 0; })[0]; };
    header("score").click(); header("score").click();
    seen.sortedDesc = Array.prototype.map.call(root.querySelectorAll(".matrix-table-interactive tr td:nth-child(3)"), function (td) { return td.textContent; });
    var input = root.querySelector(".matrix-table-filter");
    input.value = "score>=4 status:done"; input.dispatchEvent(new Event("input"));
    seen.filtered = Number(root.querySelector(".matrix-table-info").getAttribute("data-shown"));
    input.value = ""; input.dispatchEvent(new Event("input"));
    root.querySelector(".matrix-table-next").click();
    seen.infoPageTwo = info();
    seen.errors = window.errors;
    document.getElementById("result").textContent = JSON.stringify(seen);
  }, 50);
</script>`;

async function dom(dir: string, html: string): Promise<string> {
  const path = join(dir, "table.html");
  writeFileSync(path, `<!doctype html><html><body>${html}${DRIVER}</body></html>`);
  const { stdout } = await promisify(execFile)(
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
      "--virtual-time-budget=3000",
      "--dump-dom",
      `file://${path}`,
    ],
    { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}

describe.skipIf(!hasChromium)("interactive table", () => {
  const rows = Array.from({ length: 45 }, (_, i) => ({
    id: `t${String(i).padStart(2, "0")}`,
    status: i % 9 === 0 ? "failed" : "done",
    score: ((i * 7) % 5) + 1,
  }));
  const table = aq.from(rows);
  const expectedFiltered = rows.filter((row) => row.score >= 4 && row.status === "done").length;

  it("sorts, filters and pages in the browser, with no script errors", async () => {
    const dir = tempDir();
    const out = await dom(dir, tableHtml(table, { pageSize: 20 }));
    const seen = JSON.parse(/<pre id="result">(.*?)<\/pre>/s.exec(out)![1]!.replace(/&quot;/g, '"'));
    expect(seen.errors).toEqual([]);
    expect(seen.interactive).toBe("true");
    expect(seen.staticHidden).toBe("none");
    expect(seen.pageOne).toEqual(rows.slice(0, 20).map((row) => row.id));
    expect(seen.infoStart).toContain("1–20 of 45");
    expect(seen.sortedDesc).toEqual(
      [...rows]
        .sort((a, b) => b.score - a.score)
        .slice(0, 20)
        .map((row) => String(row.score)),
    );
    expect(seen.filtered).toBe(expectedFiltered);
    expect(seen.infoPageTwo).toContain("21–40 of 45");
  }, 120_000);
});
