/**
 * `compare(runA, runB)`: two runs side by side — a table of their summaries (counts, throughput,
 * tokens, latency, the mean and median of each score) and plots of their score distributions and
 * of finished rows over time. The prompt-iteration loop: change a prompt, re-run, compare.
 *
 * Where you are: `notebook/`. Scores are the numeric state fields both runs have (a judge's parsed
 * reply `state.judge.score` is the column `judge.score`), or the `fields` given. Waits for both
 * runs to finish, so it can follow `watch([a, b])` or stand alone.
 */
import * as aq from "arquero";
import type { Run } from "../driver/run.js";
import { ConfigError } from "../errors.js";
import { RunMetrics } from "../metrics/run-metrics.js";
import { resultsTable } from "../metrics/results-table.js";
import { markShown, publish, withDisplay, type MimeBundle } from "./mime-bundle.js";
import { tableBundle } from "./table-view.js";
import { plotBundle, type VegaLiteSpec } from "./vega-render.js";

export interface CompareOptions {
  /** Names of the two runs in the table and plots. @default "A: <pipeline>", "B: <pipeline>" */
  labels?: [string, string];
  /** Numeric state fields to compare (columns of `run.table()`, e.g. "judge.score"). @default those both runs have, up to 4 */
  fields?: string[];
  /** Show the table and plots in the notebook. @default true */
  show?: boolean;
}

export interface Comparison {
  labels: [string, string];
  /** One row per measure: measure, the two runs' values, and the change from the first to the second. */
  summary: aq.ColumnTable;
  /** Every score of both runs: run, field, value (long form, ready to plot or aggregate). */
  scores: aq.ColumnTable;
  fields: string[];
}

const STANDARD = new Set(["id", "status", "reason", "turns", "tokens", "latencyMs"]);

function numericFields(table: aq.ColumnTable): string[] {
  return table
    .columnNames()
    .filter((name) => !STANDARD.has(name) && !name.startsWith("_"))
    .filter((name) => {
      const values = table.array(name) as unknown[];
      return (
        values.some((value) => typeof value === "number") && values.every((v) => v === null || typeof v === "number")
      );
    });
}

function numbers(table: aq.ColumnTable, field: string): number[] {
  if (!table.columnNames().includes(field)) return [];
  return (table.array(field) as unknown[]).filter((value): value is number => typeof value === "number");
}

function mean(values: readonly number[]): number | null {
  return values.length ? values.reduce((sum, value) => sum + value, 0) / values.length : null;
}

function quantile(values: readonly number[], q: number): number | null {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function change(a: number | null, b: number | null): string {
  if (a === null || b === null) return "";
  const delta = b - a;
  const relative = a !== 0 ? ` (${delta >= 0 ? "+" : ""}${((delta / Math.abs(a)) * 100).toFixed(0)}%)` : "";
  return `${delta >= 0 ? "+" : ""}${Number.isInteger(delta) ? delta : delta.toFixed(2)}${relative}`;
}

function measures(run: Run, table: aq.ColumnTable, fields: readonly string[]): Array<[string, number | null]> {
  const progress = run.progress();
  const done = table.filter((d: { status: string }) => d.status === "done");
  const rows: Array<[string, number | null]> = [
    ["done", progress.done],
    ["failed", progress.failed],
    ["filtered", progress.filtered],
    ["rows/s", progress.rowsPerSecond],
    ["tokens/s", progress.tokensPerSecond],
    ["duration s", progress.elapsedMs / 1000],
    ["tokens per done task", mean(numbers(done, "tokens"))],
    ["turns per done task", mean(numbers(done, "turns"))],
    ["task latency p50 ms", quantile(numbers(table, "latencyMs"), 0.5)],
    ["task latency p95 ms", quantile(numbers(table, "latencyMs"), 0.95)],
  ];
  for (const field of fields) {
    rows.push([`${field} mean`, mean(numbers(table, field))]);
    rows.push([`${field} median`, quantile(numbers(table, field), 0.5)]);
  }
  return rows;
}

const round = (value: number | null) => (value === null ? null : Math.round(value * 1000) / 1000);

function distributionSpec(field: string, scores: aq.ColumnTable, labels: readonly string[]): VegaLiteSpec {
  const values = scores.filter(aq.escape((d: { field: string }) => d.field === field)).objects();
  const integers = values.every((row) => Number.isInteger((row as { value: number }).value));
  return {
    title: `${field}: distribution per run`,
    width: 360,
    height: 160,
    data: { values },
    mark: "bar",
    encoding: {
      x: integers
        ? { field: "value", type: "ordinal", title: field }
        : { field: "value", type: "quantitative", bin: { maxbins: 20 }, title: field },
      y: { aggregate: "count", type: "quantitative", title: "tasks" },
      color: { field: "run", type: "nominal", scale: { domain: [...labels] }, title: null },
      xOffset: { field: "run", type: "nominal", scale: { domain: [...labels] } },
    },
  };
}

function finishedSpec(runs: readonly Run[], labels: readonly string[]): VegaLiteSpec {
  const values = runs.flatMap((run, index) =>
    RunMetrics.of(run).timeline.map((point) => ({
      run: labels[index],
      t: Math.round(point.t * 100) / 100,
      finished: point.done + point.failed + point.filtered,
    })),
  );
  return {
    title: "Finished rows over time",
    width: 360,
    height: 160,
    data: { values },
    mark: { type: "line", interpolate: "step-after" },
    encoding: {
      x: { field: "t", type: "quantitative", title: "seconds" },
      y: { field: "finished", type: "quantitative", title: "finished rows" },
      color: { field: "run", type: "nominal", scale: { domain: [...labels] }, title: null },
    },
  };
}

function defaultLabels(a: Run, b: Run): [string, string] {
  return [`A: ${a.pipeline}`, `B: ${b.pipeline}`];
}

/** The comparison's values without showing anything (what `compare` shows). */
export async function comparison(a: Run, b: Run, options: CompareOptions = {}): Promise<Comparison> {
  const labels = options.labels ?? defaultLabels(a, b);
  if (labels[0] === labels[1])
    throw new ConfigError("labels", `the two runs need different labels, got '${labels[0]}' twice`);
  await Promise.allSettled([a.done(), b.done()]);
  const tables = [resultsTable(a.results()), resultsTable(b.results())] as const;
  const common = numericFields(tables[0]).filter((field) => numericFields(tables[1]).includes(field));
  const fields = options.fields ?? common.slice(0, 4);
  const [first, second] = [measures(a, tables[0], fields), measures(b, tables[1], fields)];
  const summary = aq.from(
    first.map(([measure, value], index) => {
      const other = second[index]![1];
      return { measure, [labels[0]]: round(value), [labels[1]]: round(other), change: change(value, other) };
    }),
  );
  const scores = aq.from(
    fields.flatMap((field) =>
      [0, 1].flatMap((index) => numbers(tables[index]!, field).map((value) => ({ run: labels[index]!, field, value }))),
    ),
  );
  return { labels, summary, scores: scores.numRows() ? scores : aq.table({ run: [], field: [], value: [] }), fields };
}

/** The plots of a comparison: finished rows over time, then one distribution per score field. */
export async function comparisonPlots(a: Run, b: Run, result: Comparison): Promise<MimeBundle[]> {
  const plots = [await plotBundle(finishedSpec([a, b], result.labels))];
  for (const field of result.fields)
    plots.push(await plotBundle(distributionSpec(field, result.scores, result.labels)));
  return plots;
}

/**
 * Compares two runs: shows a summary table (counts, throughput, tokens, latency, score means and
 * medians, with the change from the first run to the second) and plots (finished rows over time,
 * the distribution of each score), and returns them as arquero tables.
 *
 * @example const result = await compare(first, second, { labels: ["before", "after"] });
 */
export async function compare(a: Run, b: Run, options: CompareOptions = {}): Promise<Comparison> {
  const result = await comparison(a, b, options);
  const text = () =>
    `Comparison ${result.labels[0]} vs ${result.labels[1]}: ${result.summary.numRows()} measures` +
    (result.fields.length ? ` (scores: ${result.fields.join(", ")})` : "");
  if (options.show ?? true) {
    publish(tableBundle(result.summary, { interactiveRows: 0, pageSize: 50 }));
    for (const plot of await comparisonPlots(a, b, result)) publish(plot);
  }
  const shown = withDisplay(result, () => tableBundle(result.summary, { interactiveRows: 0, pageSize: 50 }), text);
  return (options.show ?? true) ? markShown(shown) : shown;
}
