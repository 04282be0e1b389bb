/**
 * Method syntax for notebooks: `run.watch()`, `run.dashboard()`, `run.table()`, `run.sample(n)`,
 * `run.plots()`, `run.report(path)`, `run.metrics()`, `run.trace(id)`, `run.compare(other)` and `pipeline.show()`,
 * plus the rich display of tables, runs, results and pipelines (rich-display.ts).
 *
 * Where you are: `notebook/`. `driver/` and `pipeline/` may not import this leaf (DESIGN §4), so the
 * classes stay free of notebook code; importing `sdk/notebook` installs one-line delegations onto
 * their prototypes (once: a `Symbol.for` marker survives a cell re-importing the module), and the
 * `declare module` blocks below tell TypeScript about them (with a side-effect import too: the
 * project kernel carries `import "./sdk/notebook/index"` into later cells' type checks). Every
 * method is also a plain function (`watch(run)`, `table(run)`, `show(pipeline)`, ...).
 */
import type * as aq from "arquero";
import { Run, type RunProgress } from "../driver/run.js";
import { RunMetrics } from "../metrics/run-metrics.js";
import type { ResultsTableOptions } from "../metrics/results-table.js";
import { Pipeline } from "../pipeline/pipeline.js";
import type { Task } from "../schema/task.js";
import { compare, type CompareOptions, type Comparison } from "./compare.js";
import { dashboard, watch, type WatchOptions } from "./live-view.js";
import { defineHidden } from "./mime-bundle.js";
import { show } from "./pipeline-view.js";
import type { PlotKind } from "./plot-specs.js";
import { plot, plots } from "./plots.js";
import { report, type ReportOptions } from "./report.js";
import { displayResults, installRichDisplay } from "./rich-display.js";
import { sample, type TaskFilter } from "./sample-view.js";
import { table, type TableHtmlOptions } from "./table-view.js";
import { trace } from "./trace-view.js";

declare module "../driver/run.js" {
  interface Run {
    /** Live progress (with `rows` / `plots`: latest rows and growing plots), updated in place until the run ends. */
    watch(options?: WatchOptions): Promise<RunProgress>;
    /** `watch` with the latest rows and the throughput, queue-depth and latency plots. */
    dashboard(options?: WatchOptions): Promise<RunProgress>;
    /** Results as an arquero table, shown as an interactive table (see `table`). */
    table(options?: ResultsTableOptions & TableHtmlOptions & { show?: boolean }): aq.ColumnTable;
    /** `n` conversations rendered for reading (see `sample`). */
    sample(n?: number, filter?: TaskFilter): Task[];
    plot(kind?: PlotKind): Promise<void>;
    plots(kinds?: readonly PlotKind[]): Promise<void>;
    /** A self-contained HTML report (see `report`). */
    report(path: string, options?: ReportOptions): Promise<string>;
    /** Counters, latencies and time series of this run (see RunMetrics). */
    metrics(): RunMetrics;
    /** One traced task's timeline: queue wait, handling and LLM time per hop (see `trace`; needs `trace: true`). */
    trace(id: string): Promise<void>;
    /** This run against `other`: summary table and score distributions (see `compare`). */
    compare(other: Run, options?: CompareOptions): Promise<Comparison>;
  }
}

declare module "../pipeline/pipeline.js" {
  interface Pipeline {
    /** Draws the roles and the flow (see `show`). */
    show(): void;
  }
}

const INSTALLED = Symbol.for("matrix-ts.notebook-methods");

/** Installs the methods above; safe to call any number of times. */
export function installNotebookMethods(): void {
  const runPrototype = Run.prototype as unknown as Record<symbol, unknown>;
  if (runPrototype[INSTALLED]) return;
  installRichDisplay();
  const results = Run.prototype.results;
  defineHidden(Run.prototype, "results", function (this: Run) {
    return displayResults(results.call(this));
  });
  defineHidden(Run.prototype, "watch", function (this: Run, options?: WatchOptions) {
    return watch(this, options);
  });
  defineHidden(Run.prototype, "dashboard", function (this: Run, options?: WatchOptions) {
    return dashboard(this, options);
  });
  defineHidden(
    Run.prototype,
    "table",
    function (this: Run, options?: ResultsTableOptions & TableHtmlOptions & { show?: boolean }) {
      return table(this, options);
    },
  );
  defineHidden(Run.prototype, "sample", function (this: Run, n?: number, filter?: TaskFilter) {
    return sample(this, n, filter);
  });
  defineHidden(Run.prototype, "plot", function (this: Run, kind?: PlotKind) {
    return plot(this, kind);
  });
  defineHidden(Run.prototype, "plots", function (this: Run, kinds?: readonly PlotKind[]) {
    return plots(this, kinds);
  });
  defineHidden(Run.prototype, "report", function (this: Run, path: string, options?: ReportOptions) {
    return report(this, path, options);
  });
  defineHidden(Run.prototype, "metrics", function (this: Run) {
    return RunMetrics.of(this);
  });
  defineHidden(Run.prototype, "trace", function (this: Run, id: string) {
    return trace(this, id);
  });
  defineHidden(Run.prototype, "compare", function (this: Run, other: Run, options?: CompareOptions) {
    return compare(this, other, options);
  });
  defineHidden(Pipeline.prototype, "show", function (this: Pipeline) {
    return show(this);
  });
  runPrototype[INSTALLED] = true;
}
