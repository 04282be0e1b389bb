/**
 * `plot(run, kind)` and `plots(run)`: shows the standard plots of a run in the notebook.
 *
 * Where you are: `notebook/`. Each plot is published as a full MIME bundle (vega-lite spec + HTML
 * image + PNG), see vega-render.ts.
 */
import type { Run } from "../driver/run.js";
import { ConfigError } from "../errors.js";
import { RunMetrics } from "../metrics/run-metrics.js";
import { publish, type MimeBundle } from "./mime-bundle.js";
import { PLOT_KINDS, plotSpec, type PlotKind } from "./plot-specs.js";
import { plotBundle } from "./vega-render.js";

/** The bundle of one plot of `run` (what `plot` shows). Plot a finished run for the whole picture. */
export async function runPlotBundle(run: Run, kind: PlotKind = "throughput"): Promise<MimeBundle> {
  if (!PLOT_KINDS.includes(kind))
    throw new ConfigError("kind", `unknown plot '${kind}'; choose one of ${PLOT_KINDS.join(", ")}`);
  return plotBundle(plotSpec(RunMetrics.of(run), kind));
}

/** Shows one plot of `run`. Returns nothing, so a cell ending in it prints no value. */
export async function plot(run: Run, kind: PlotKind = "throughput"): Promise<void> {
  publish(await runPlotBundle(run, kind));
}

/** Shows every standard plot of `run` (or the `kinds` given). */
export async function plots(run: Run, kinds: readonly PlotKind[] = PLOT_KINDS): Promise<void> {
  for (const kind of kinds) await plot(run, kind);
}
