/**
 * One line of progress for a terminal (redrawn in place) or a log (a line each time).
 *
 * Where you are: `cli/`.
 */
import type { RunProgress } from "../driver/run.js";

export function progressLine(progress: RunProgress, interactive: boolean): string {
  const finished = progress.done + progress.failed + progress.filtered;
  const seconds = (progress.elapsedMs / 1000).toFixed(1);
  const text =
    `[${progress.pipeline}] ${finished} finished (done ${progress.done}, failed ${progress.failed}, filtered ${progress.filtered})` +
    `, ${progress.inFlight} in flight, ${progress.rowsPerSecond.toFixed(1)} rows/s, ${Math.round(progress.tokensPerSecond)} tok/s, ${seconds}s` +
    (progress.skipped ? `, ${progress.skipped} skipped (resume)` : "") +
    (progress.badRows ? `, ${progress.badRows} bad rows` : "") +
    workersRefusing(progress);
  return interactive ? `\r\x1b[2K${text}` : `${text}\n`;
}

/** NATS workers that do not serve the run, shown until they do: why a run may not move. */
function workersRefusing(progress: RunProgress): string {
  const errors = Object.entries(progress.workerErrors ?? {});
  if (errors.length === 0) return "";
  const [worker, { reason }] = errors[0]!;
  return `, ${errors.length} worker${errors.length > 1 ? "s" : ""} not serving (${worker}: ${reason})`;
}
