/**
 * Rich display for values: an arquero table (any, derived ones included), a run, a run's rows and a
 * pipeline render as HTML when they are a cell's value, and print as one short line otherwise.
 *
 * Where you are: `notebook/`. tslab prints a cell's last value with `console.log` (util.inspect);
 * the project kernel (kernels/matrix-ts/cell-values.cjs) first looks for a
 * `Symbol.for("Jupyter.display")` method returning a MIME bundle, and shows that instead. Both
 * hooks are installed here, on the prototypes (arquero's ColumnTable, Run, Pipeline) or on the
 * returned arrays, as non-enumerable properties: JSON, spreading and equality are unaffected.
 * Under another tslab kernel, values still print as the one short line.
 */
import * as aq from "arquero";
import { inspect } from "node:util";
import { Run } from "../driver/run.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { resultsTable } from "../metrics/results-table.js";
import type { Task } from "../schema/task.js";
import { JUPYTER_DISPLAY, defineHidden, withDisplay, type MimeBundle } from "./mime-bundle.js";
import { pipelineBundle } from "./pipeline-view.js";
import { progressText } from "./progress-view.js";
import { runBundle } from "./run-view.js";
import { tableBundle } from "./table-view.js";
import { pipelineLine, tableLine, tasksLine } from "./value-lines.js";

/** Installs the prototype hooks (prototype methods, so `this` is the value); safe to call again. */
function installOn<T>(prototype: T, bundle: (this: T) => MimeBundle, text: (this: T) => string): void {
  defineHidden(prototype as object, JUPYTER_DISPLAY, bundle);
  defineHidden(prototype as object, inspect.custom, text);
}

/** Installs the displays on arquero tables, runs, run results and pipelines. */
export function installRichDisplay(): void {
  installOn<aq.ColumnTable>(
    aq.ColumnTable.prototype,
    function () {
      return tableBundle(this);
    },
    function () {
      return tableLine(this);
    },
  );
  installOn<Run>(
    Run.prototype,
    function () {
      return runBundle(this);
    },
    function () {
      return `Run ${progressText(this.progress())}`;
    },
  );
  installOn<Pipeline>(
    Pipeline.prototype,
    function () {
      return pipelineBundle(this.toJSON());
    },
    function () {
      return pipelineLine(this);
    },
  );
}

/** `run.results()` hands out the run's own list of finished tasks: tagging it once tags every call. */
export function displayResults(tasks: readonly Task[]): readonly Task[] {
  if (JUPYTER_DISPLAY in tasks) return tasks;
  return withDisplay(
    tasks,
    () => tableBundle(resultsTable(tasks)),
    () => tasksLine(tasks),
  );
}
