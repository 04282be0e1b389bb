/**
 * Tables as HTML: the interactive form carries the rows as JSON (escaped so no cell can close the
 * script) around the static paged form, which front ends that run no scripts and nbconvert
 * exports show; the interactive rows are capped, and can be turned off.
 */
import * as aq from "arquero";
import { describe, expect, it } from "vitest";
import { staticTableHtml, tableHtml } from "../../sdk/notebook/index.js";

describe("table HTML", () => {
  const table = aq.from(
    Array.from({ length: 45 }, (_, i) => ({ id: `t${i}`, note: i === 3 ? "</script><b>x" : "ok" })),
  );

  it("keeps the static paged table inside the interactive one", () => {
    const html = tableHtml(table, { pageSize: 20 });
    const fallback = /<div class="matrix-table-static">([\s\S]*?)<\/div><script/.exec(html)![1]!;
    expect(fallback).toBe(staticTableHtml(table, { pageSize: 20 }));
    expect((fallback.match(/<details>/g) ?? []).length).toBe(2);
    expect(fallback).toContain("&#60;/script&#62;&#60;b&#62;x");
  });

  it("carries the rows as JSON that no cell can break out of", () => {
    const html = tableHtml(table);
    const json = /<script type="application\/json" class="matrix-table-data">([\s\S]*?)<\/script>/.exec(html)![1]!;
    expect(html.match(/<\/script>/g)).toHaveLength(2); // the data's and the code's, none from a cell
    const data = JSON.parse(json) as { columns: string[]; rows: unknown[][]; total: number };
    expect(data.columns).toEqual(["id", "note"]);
    expect(data.rows[3]).toEqual(["t3", "</script><b>x"]);
    expect(data.total).toBe(45);
  });

  it("caps the rows it carries, and can be static only", () => {
    const capped = tableHtml(table, { interactiveRows: 10 });
    const json = /class="matrix-table-data">([\s\S]*?)<\/script>/.exec(capped)![1]!;
    expect((JSON.parse(json) as { rows: unknown[] }).rows).toHaveLength(10);
    expect(tableHtml(table, { interactiveRows: 0 })).not.toContain("<script");
  });
});
