/**
 * The interactive table: sortable (click a header), filterable (a query box) and paged, drawn by a
 * small inline script over the table's rows, which travel with it as JSON. The static paged HTML it
 * replaces stays in the output, so nbconvert exports and front ends that run no scripts show that.
 *
 * Where you are: `notebook/`, used by table-view.ts. Why our own script and not a grid library:
 * every notebook output must carry its script inline (outputs cannot load files, and there is no
 * CDN offline), once per table. The libraries that fit (simple-datatables: LGPL and two
 * dependencies; gridjs: bundles preact; list.js) add 20–60 KB to each table output and are made
 * to enhance markup we would have to generate for them; this script is ~3 KB, works from the JSON
 * rows directly, and its behaviour is tested in headless Chromium (test/notebook/interactive-table.test.ts).
 *
 * Query syntax: words match any cell (case-insensitive); `column:text` matches one column;
 * `column=value`, `!=`, `>`, `>=`, `<`, `<=` compare (numbers as numbers).
 */
import { randomBytes } from "node:crypto";

export interface InteractiveTableData {
  columns: string[];
  rows: unknown[][];
  /** Rows of the table (the JSON may hold fewer, see `truncated`). */
  total: number;
  pageSize: number;
}

// Plain ES5 so it runs in any front end; `root` is the container, `data` the parsed JSON.
const SCRIPT = `(function (root, data) {
  if (!root || root.getAttribute("data-interactive")) return;
  root.setAttribute("data-interactive", "true");
  var columns = data.columns, rows = data.rows, state = { sort: -1, desc: false, page: 0, query: "" };
  var cell = "border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top";
  function text(v) {
    if (v === null || v === undefined) return "";
    if (typeof v === "number" && Math.floor(v) !== v) return v.toFixed(3);
    if (typeof v === "object") return JSON.stringify(v);
    var s = String(v);
    return s.length > 200 ? s.slice(0, 200) + "\\u2026" : s;
  }
  function compare(a, b) {
    if (a === b) return 0;
    if (a === null || a === undefined || a === "") return 1;
    if (b === null || b === undefined || b === "") return -1;
    if (typeof a === "number" && typeof b === "number") return a - b;
    return String(a).localeCompare(String(b), undefined, { numeric: true });
  }
  function matcher(query) {
    var tests = query.trim().split(/\\s+/).filter(Boolean).map(function (token) {
      var m = /^([^:=!<>]+)(:|!=|>=|<=|=|>|<)(.*)$/.exec(token);
      var index = m ? columns.indexOf(m[1]) : -1;
      if (index < 0) {
        var word = token.toLowerCase();
        return function (row) { return row.some(function (v) { return text(v).toLowerCase().indexOf(word) >= 0; }); };
      }
      var op = m[2], want = m[3], number = Number(want), numeric = want !== "" && !isNaN(number);
      return function (row) {
        var v = row[index];
        if (op === ":") return text(v).toLowerCase().indexOf(want.toLowerCase()) >= 0;
        var c = numeric && typeof v === "number" ? v - number : compare(text(v), want);
        if (op === "=") return numeric && typeof v === "number" ? c === 0 : text(v) === want;
        if (op === "!=") return numeric && typeof v === "number" ? c !== 0 : text(v) !== want;
        if (v === null || v === undefined) return false;
        return op === ">" ? c > 0 : op === ">=" ? c >= 0 : op === "<" ? c < 0 : c <= 0;
      };
    });
    return function (row) { return tests.every(function (t) { return t(row); }); };
  }
  var bar = document.createElement("div");
  bar.style.cssText = "font:12px system-ui,sans-serif;margin:2px 0;display:flex;gap:8px;align-items:center";
  var input = document.createElement("input");
  input.type = "search"; input.placeholder = "filter: words, column:text, column>3"; input.className = "matrix-table-filter";
  input.style.cssText = "font:12px system-ui,sans-serif;width:260px";
  var info = document.createElement("span"); info.className = "matrix-table-info";
  var prev = document.createElement("button"); prev.textContent = "\\u2039"; prev.className = "matrix-table-prev";
  var next = document.createElement("button"); next.textContent = "\\u203a"; next.className = "matrix-table-next";
  bar.appendChild(input); bar.appendChild(prev); bar.appendChild(info); bar.appendChild(next);
  var table = document.createElement("table");
  table.className = "matrix-table matrix-table-interactive";
  table.style.cssText = "border-collapse:collapse;font:12px/1.4 system-ui,sans-serif";
  function render() {
    var test = matcher(state.query);
    var shown = rows.filter(test);
    if (state.sort >= 0) {
      var i = state.sort, sign = state.desc ? -1 : 1;
      shown = shown.map(function (row, n) { return [row, n]; }).sort(function (a, b) {
        return compare(a[0][i], b[0][i]) * sign || a[1] - b[1];
      }).map(function (pair) { return pair[0]; });
    }
    var pages = Math.max(1, Math.ceil(shown.length / data.pageSize));
    state.page = Math.min(state.page, pages - 1);
    var from = state.page * data.pageSize;
    table.innerHTML = "<tr>" + columns.map(function (name, n) {
      return '<th data-column="' + n + '" style="' + cell + ';background:#f4f4f4;cursor:pointer"></th>';
    }).join("") + "</tr>";
    var ths = table.querySelectorAll("th");
    columns.forEach(function (name, n) {
      ths[n].textContent = name + (n === state.sort ? (state.desc ? " \\u25bc" : " \\u25b2") : "");
      ths[n].onclick = function () {
        if (state.sort === n) state.desc = !state.desc; else { state.sort = n; state.desc = false; }
        render();
      };
    });
    shown.slice(from, from + data.pageSize).forEach(function (row) {
      var tr = document.createElement("tr");
      row.forEach(function (v) { var td = document.createElement("td"); td.style.cssText = cell; td.textContent = text(v); tr.appendChild(td); });
      table.appendChild(tr);
    });
    info.textContent = (shown.length ? from + 1 : 0) + "\\u2013" + Math.min(from + data.pageSize, shown.length) +
      " of " + shown.length + (shown.length !== rows.length ? " (filtered from " + rows.length + ")" : "") +
      (data.total > rows.length ? " \\u00b7 first " + rows.length + " of " + data.total + " rows" : "") +
      " \\u00b7 page " + (state.page + 1) + "/" + pages;
    info.setAttribute("data-shown", String(shown.length));
    prev.disabled = state.page === 0; next.disabled = state.page >= pages - 1;
  }
  input.oninput = function () { state.query = input.value; state.page = 0; render(); };
  prev.onclick = function () { state.page--; render(); };
  next.onclick = function () { state.page++; render(); };
  var fallback = root.querySelector(".matrix-table-static");
  if (fallback) fallback.style.display = "none";
  root.appendChild(bar); root.appendChild(table);
  render();
})`;

/** The self-contained script source (for reports and tests). */
export const INTERACTIVE_TABLE_SCRIPT = SCRIPT;

function jsonForScript(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
}

/** `staticHtml` wrapped with the data and script that turn it into the interactive table. */
export function interactiveTableHtml(staticHtml: string, data: InteractiveTableData): string {
  const id = `matrix-table-${randomBytes(6).toString("hex")}`;
  return (
    `<div class="matrix-table-view" id="${id}"><div class="matrix-table-static">${staticHtml}</div>` +
    `<script type="application/json" class="matrix-table-data">${jsonForScript(data)}</script>` +
    `<script>${SCRIPT}(document.getElementById(${JSON.stringify(id)}), JSON.parse(document.getElementById(${JSON.stringify(id)}).querySelector(".matrix-table-data").textContent));</script>` +
    `</div>`
  );
}
