// Shows a cell's last value richly when it has a display (arquero tables, runs, pipelines, ...).
//
// Where you are: kernels/matrix-ts, loaded by start-tslab.cjs before tslab starts. tslab prints the
// value of a cell's last expression with `console.log` (util.inspect) through the console object it
// gives its executor, and that console is used for nothing else. We give it one whose `log` looks for
// the `Symbol.for("Jupyter.display")` method (the convention Deno's Jupyter kernel uses): it returns
// a MIME bundle, published as display data; an empty bundle shows nothing. Values the cell already
// displayed (`run.table()` shows its table and returns it) are not shown twice: the SDK adds them to
// the per-cell set kept under `Symbol.for("matrix-ts.notebook-cell")`, reset before each cell.
"use strict";

const DISPLAY = Symbol.for("Jupyter.display");
const CELL = Symbol.for("matrix-ts.notebook-cell");

exports.showRichValues = (executorModule, jupyterModule) => {
  const createExecutor = executorModule.createExecutor;
  executorModule.createExecutor = (rootDir, convs, console) => {
    const log = (value) => {
      if (value !== null && (typeof value === "object" || typeof value === "function")) {
        try {
          if (globalThis[CELL]?.shown.has(value)) return;
          if (typeof value[DISPLAY] === "function") {
            const bundle = value[DISPLAY]();
            if (bundle && Object.keys(bundle).length > 0 && jupyterModule.lastWriteDisplayData) {
              jupyterModule.lastWriteDisplayData({ data: bundle, metadata: {}, transient: {} }, false);
            }
            return;
          }
        } catch (error) {
          // A display that throws must not hide the value: report it, then print the value.
          console.error(error);
        }
      }
      console.log(value);
    };
    const executor = createExecutor(rootDir, convs, { ...console, log });
    return {
      ...executor,
      execute: (src) => {
        globalThis[CELL] = { shown: new WeakSet() };
        return executor.execute(src);
      },
    };
  };
};
