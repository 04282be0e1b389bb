/**
 * Method syntax for notebooks: `run.watch()`, `run.table()`, `run.sample(n)`, `run.plots()`,
 * `run.report(path)`, `run.metrics()` and `pipeline.show()`.
 *
 * Where you are: `notebook/`. `driver/` and `pipeline/` may not import this leaf (DESIGN §4), so the
 * classes stay free of notebook code; importing `sdk/notebook` installs one-line delegations onto
 * their prototypes (once: a `Symbol.for` marker survives a cell re-importing the module), and the
 * `declare module` blocks below tell TypeScript about them. Every method is also a plain function
 * (`watch(run)`, `table(run)`, `show(pipeline)`, ...) for code that prefers not to rely on this.
 */
import type * as aq from "arquero";
import { Run, type RunProgress } from "../driver/run.js";
import { RunMetrics } from "../metrics/run-metrics.js";
import type { ResultsTableOptions } from "../metrics/results-table.js";
import { Pipeline } from "../pipeline/pipeline.js";
import type { Task } from "../schema/task.js";
import { show } from "./pipeline-view.js";
import type { PlotKind } from "./plot-specs.js";
import { plot, plots } from "./plots.js";
import { watch, type WatchOptions } from "./progress-view.js";
import { report, type ReportOptions } from "./report.js";
import { sample, type TaskFilter } from "./sample-view.js";
import { table, type TableHtmlOptions } from "./table-view.js";
import { trace } from "./trace-view.js";

declare module "../driver/run.js" {
  interface Run {
    /** Live progress, updated in place until the run ends (see `watch`). */
    watch(options?: WatchOptions): Promise<RunProgress>;
    /** Results as an arquero table, shown as paged HTML (see `table`). */
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
  }
}

declare module "../pipeline/pipeline.js" {
  interface Pipeline {
    /** Draws the roles and the flow (see `show`). */
    show(): void;
  }
}

const INSTALLED = Symbol.for("matrix-ts.notebook-methods");

function define(target: object, name: string, value: (...args: never[]) => unknown): void {
  Object.defineProperty(target, name, { value, configurable: true, writable: true, enumerable: false });
}

/** Installs the methods above; safe to call any number of times. */
export function installNotebookMethods(): void {
  const runPrototype = Run.prototype as unknown as Record<symbol, unknown>;
  if (runPrototype[INSTALLED]) return;
  define(Run.prototype, "watch", function (this: Run, options?: WatchOptions) {
    return watch(this, options);
  });
  define(
    Run.prototype,
    "table",
    function (this: Run, options?: ResultsTableOptions & TableHtmlOptions & { show?: boolean }) {
      return table(this, options);
    },
  );
  define(Run.prototype, "sample", function (this: Run, n?: number, filter?: TaskFilter) {
    return sample(this, n, filter);
  });
  define(Run.prototype, "plot", function (this: Run, kind?: PlotKind) {
    return plot(this, kind);
  });
  define(Run.prototype, "plots", function (this: Run, kinds?: readonly PlotKind[]) {
    return plots(this, kinds);
  });
  define(Run.prototype, "report", function (this: Run, path: string, options?: ReportOptions) {
    return report(this, path, options);
  });
  define(Run.prototype, "metrics", function (this: Run) {
    return RunMetrics.of(this);
  });
  define(Run.prototype, "trace", function (this: Run, id: string) {
    return trace(this, id);
  });
  define(Pipeline.prototype, "show", function (this: Pipeline) {
    return show(this);
  });
  runPrototype[INSTALLED] = true;
}
