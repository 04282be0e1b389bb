/**
 * Live views that stream: `watch(run, { rows, plots })` and `dashboard(run)` keep one display up to
 * date while runs work (Jupyter `update_display_data`): the progress panel, a table of the latest
 * finished rows, and plots growing over time. Several runs can be watched side by side.
 *
 * Where you are: `notebook/`. The view shares the event loop with the run it watches (agents, the
 * in-process simulator), so it is built to cost little: the panel and rows table are cheap and
 * redrawn every `intervalMs`; plots are re-rendered from kept vega views (live-plots.ts) and only as
 * often as `plotBudget` allows: after a plot frame that took `c` ms, the next waits at least
 * `c / plotBudget` ms (2% by default), and never blocks the panel's frames. A finished run always
 * gets a last frame with every plot, so
 * an executed notebook holds one output in the run's final state. `bench/notebook-watch.ts`
 * measures what watching costs a saturating run.
 */
import type { Run, RunProgress } from "../driver/run.js";
import { rootLogger } from "../logger.js";
import { RunMetrics } from "../metrics/run-metrics.js";
import { escapeHtml } from "./html.js";
import { LivePlot, livePlotValues, type LivePlotKind } from "./live-plots.js";
import { LiveDisplay, markShown, withDisplay, type MimeBundle } from "./mime-bundle.js";
import { progressBundle, progressText } from "./progress-view.js";
import { runHtml } from "./run-view.js";
import { svgDataUri } from "./vega-render.js";

export interface WatchOptions {
  /** How often the panel (and rows table) is redrawn. @default 300 */
  intervalMs?: number;
  /** Latest finished rows shown in a table under the panel; 0 shows none. @default 0 (`dashboard`: 10) */
  rows?: number;
  /** Plots that grow while the run works. @default [] (`dashboard`: throughput, queues, latency) */
  plots?: readonly LivePlotKind[];
  /** State fields shown in the rows table. @default the first scalar ones, up to 5 */
  stateFields?: string[];
  /** Largest share of time plot rendering may take. @default 0.02 */
  plotBudget?: number;
  /** Shortest interval between plot frames. @default 1000 */
  plotIntervalMs?: number;
}

/** What a live view did, for benchmarks and for the footer of its display. */
export interface LiveViewStats {
  frames: number;
  plotFrames: number;
  /** Time spent rendering plots, in total and in the last plot frame. */
  plotMs: number;
  lastPlotMs: number;
}

const DASHBOARD_PLOTS: readonly LivePlotKind[] = ["throughput", "queues", "latency"];

interface Watched {
  run: Run;
  metrics: RunMetrics;
  plots: LivePlot[];
  figures: string[];
}

function figureHtml(kind: LivePlotKind, svg: string, values: readonly unknown[]): string {
  // The values drawn travel with the image (JSON, not run), so an executed notebook can be checked
  // against the run, and a reader can copy them.
  const data = JSON.stringify(values).replace(/</g, "\\u003c");
  return (
    `<figure class="matrix-live-plot" data-kind="${kind}" style="margin:4px 8px 4px 0">` +
    `<img alt="${kind}" src="${svgDataUri(svg)}"/>` +
    `<script type="application/json" class="matrix-plot-data">${data}</script></figure>`
  );
}

/** One display showing runs as they work; `start()` resolves when every run has finished. */
export class LiveView {
  readonly stats: LiveViewStats = { frames: 0, plotFrames: 0, plotMs: 0, lastPlotMs: 0 };
  private readonly display = new LiveDisplay();
  private readonly watched: Watched[];
  private readonly options: Required<Omit<WatchOptions, "stateFields">> & { stateFields?: string[] };
  /** The first plot frame waits one plot interval: at the start there is nothing to draw yet. */
  private nextPlotAt: number;

  constructor(runs: readonly Run[], options: WatchOptions = {}) {
    this.options = {
      intervalMs: options.intervalMs ?? 300,
      rows: options.rows ?? 0,
      plots: options.plots ?? [],
      plotBudget: options.plotBudget ?? 0.02,
      plotIntervalMs: options.plotIntervalMs ?? 1000,
      ...(options.stateFields ? { stateFields: options.stateFields } : {}),
    };
    this.nextPlotAt = performance.now() + this.options.plotIntervalMs;
    this.watched = runs.map((run) => ({
      run,
      // Start recording now, so plots (live and later) see the whole run.
      metrics: RunMetrics.of(run),
      plots: this.options.plots.map((kind) => new LivePlot(kind)),
      figures: [],
    }));
  }

  private async renderPlots(): Promise<void> {
    const started = performance.now();
    try {
      for (const watched of this.watched) {
        const progress = watched.run.progress();
        watched.figures = [];
        for (const plot of watched.plots) {
          const values = livePlotValues(plot.kind, watched.metrics, progress);
          watched.figures.push(figureHtml(plot.kind, await plot.render(values), values));
        }
      }
    } catch (error) {
      // A plot that cannot render must not stop the view (or the run): say so in its place.
      rootLogger().error({ err: error }, "a live plot failed to render");
      for (const watched of this.watched)
        watched.figures = [`<div style="color:#c0392b">plots unavailable: ${escapeHtml(String(error))}</div>`];
    }
    const cost = performance.now() - started;
    this.stats.plotFrames++;
    this.stats.plotMs += cost;
    this.stats.lastPlotMs = cost;
    this.nextPlotAt = performance.now() + Math.max(this.options.plotIntervalMs, cost / this.options.plotBudget);
  }

  /** The current frame (HTML for every run side by side, and one text line per run). */
  bundle(): MimeBundle {
    const finished = this.watched.every((watched) => watched.run.finished);
    const columns = this.watched.map(
      (watched) =>
        `<div class="matrix-live-run" data-run-id="${escapeHtml(watched.run.runId)}" style="min-width:360px">` +
        runHtml(watched.run, {
          rows: this.options.rows,
          ...(this.options.stateFields ? { stateFields: this.options.stateFields } : {}),
        }) +
        (watched.figures.length ? `<div style="display:flex;flex-wrap:wrap">${watched.figures.join("")}</div>` : "") +
        `</div>`,
    );
    const footer = this.stats.plotFrames
      ? `<div class="matrix-live-footer" style="font:11px system-ui,sans-serif;color:#888">plots: ${this.stats.lastPlotMs.toFixed(0)} ms a frame, ${this.stats.plotFrames} frames</div>`
      : "";
    return {
      "text/html":
        `<div class="matrix-live" data-state="${finished ? "finished" : "running"}">` +
        `<div style="display:flex;flex-wrap:wrap;gap:16px;align-items:flex-start">${columns.join("")}</div>${footer}</div>`,
      "text/plain": this.watched.map((watched) => progressText(watched.run.progress())).join("\n"),
    };
  }

  private draw(): void {
    this.display.show(this.bundle());
    this.stats.frames++;
  }

  /**
   * Draws frames until every run has finished, then the final one. Rejects if a run failed. Plot
   * frames render in the background (the first loads vega), so the panel keeps moving meanwhile.
   */
  async start(): Promise<void> {
    const settled = Promise.allSettled(this.watched.map((watched) => watched.run.done()));
    let finished = false;
    void settled.then(() => (finished = true));
    let rendering: Promise<void> | undefined;
    try {
      while (!finished) {
        if (this.options.plots.length > 0 && !rendering && performance.now() >= this.nextPlotAt) {
          rendering = this.renderPlots().finally(() => {
            rendering = undefined;
            if (!finished) this.draw();
          });
        }
        this.draw();
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([settled, new Promise((resolve) => (timer = setTimeout(resolve, this.options.intervalMs)))]);
        clearTimeout(timer);
      }
      await rendering;
      if (this.options.plots.length > 0) await this.renderPlots();
      this.draw();
    } finally {
      await rendering?.catch(() => {});
    }
    for (const result of await settled) if (result.status === "rejected") throw result.reason;
  }
}

async function watchAll(runs: readonly Run[], options: WatchOptions): Promise<RunProgress[]> {
  await new LiveView(runs, options).start();
  return runs.map((run) => {
    const progress = run.progress();
    // Already on screen (the live display): not shown again as the cell's value, one line as text.
    return markShown(
      withDisplay(
        progress,
        () => progressBundle(progress),
        () => progressText(progress),
      ),
    );
  });
}

function resolved(all: RunProgress[], single: boolean): RunProgress | RunProgress[] {
  if (single) return all[0]!;
  return markShown(
    withDisplay(
      all,
      () => ({}),
      () => all.map(progressText).join("\n"),
    ),
  );
}

/**
 * Shows the run's progress (and, with `rows` / `plots`, its latest rows and growing plots) and
 * redraws it in place until the run ends; resolves to the final progress. `await` it in the cell
 * that started the run (a finished cell stops receiving updates). Pass several runs to watch them
 * side by side. A failed run still shows its last numbers, then the error is thrown to the cell.
 *
 * @example await run.watch({ rows: 10, plots: ["throughput", "queues"] })
 */
export async function watch(run: Run, options?: WatchOptions): Promise<RunProgress>;
export async function watch(runs: readonly Run[], options?: WatchOptions): Promise<RunProgress[]>;
export async function watch(
  runs: Run | readonly Run[],
  options: WatchOptions = {},
): Promise<RunProgress | RunProgress[]> {
  const single = !Array.isArray(runs);
  return resolved(await watchAll(single ? [runs as Run] : (runs as readonly Run[]), options), single);
}

/** `watch` with the latest rows and the throughput, queue-depth and latency plots. */
export async function dashboard(run: Run, options?: WatchOptions): Promise<RunProgress>;
export async function dashboard(runs: readonly Run[], options?: WatchOptions): Promise<RunProgress[]>;
export async function dashboard(
  runs: Run | readonly Run[],
  options: WatchOptions = {},
): Promise<RunProgress | RunProgress[]> {
  const single = !Array.isArray(runs);
  const all = await watchAll(single ? [runs as Run] : (runs as readonly Run[]), {
    rows: 10,
    plots: DASHBOARD_PLOTS,
    ...options,
  });
  return resolved(all, single);
}
