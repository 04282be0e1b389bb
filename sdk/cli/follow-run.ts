/**
 * Following a run from the command line (`matrix run`, `matrix attach`): a progress line on stderr,
 * the summary on stdout, and Ctrl-C handling (the first one cancels cleanly and says how to go on, a
 * second exits at once).
 *
 * Where you are: `cli/`. The exit codes follow main.ts: 0 done, 130 after Ctrl-C, 143 after SIGTERM.
 */
import type { Run } from "../driver/run.js";
import type { CliIo } from "./cli-io.js";
import { progressLine } from "./progress-line.js";

export async function followRun(
  run: Run,
  options: {
    io: CliIo;
    /** `matrix run` or `matrix attach`, for the messages. */
    name: string;
    quiet?: boolean;
    out: string;
    /** What to print after a cancel: how to go on. */
    resumeLine: string;
    /** Called with the summary before it is printed (e.g. to add a line about a detached run). */
    onSummary?: (summary: Awaited<ReturnType<Run["done"]>>) => void;
  },
): Promise<number> {
  const { io, name } = options;
  // First Ctrl-C (or SIGTERM): stop feeding, let the run close its files, print how to resume. A second
  // Ctrl-C exits at once (the files hold every line finished so far; a half-written last line is
  // skipped on resume).
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) process.exit(130);
    interrupted = signal;
    io.stderr(
      `${io.interactive ? "\n" : ""}${name}: stopping: closing the output files (Ctrl-C again to quit at once)\n`,
    );
    void run.cancel();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // Which LLM the run's agents (on NATS: every worker) use, and where its metrics are, said once when the run starts.
  const unsubscribe = run.subscribe((event) => {
    if (event.type === "run-start" && event.llm) io.stderr(`${name}: LLM: ${event.llm}\n`);
    // `--metrics-port 0` picks a free port: say which, so Prometheus (or curl) can be pointed at it.
    if (event.type === "run-start" && run.metricsUrl) io.stderr(`${name}: metrics: ${run.metricsUrl}\n`);
    if (event.type === "worker-error" && event.message)
      io.stderr(`${name}: worker ${event.worker} does not serve this run (${event.reason}): ${event.message}\n`);
  });
  const timer = options.quiet
    ? undefined
    : setInterval(() => io.stderr(progressLine(run.progress(), io.interactive)), io.interactive ? 250 : 2000);
  try {
    const summary = await run.done();
    // The last progress line; on a terminal it was redrawn in place and still needs its newline.
    if (timer) io.stderr(`${progressLine(run.progress(), io.interactive)}${io.interactive ? "\n" : ""}`);
    options.onSummary?.(summary);
    io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
    if (!summary.cancelled) return 0;
    io.stderr(`${name}: cancelled; output in ${options.out}. ${options.resumeLine}\n`);
    // 130 = 128 + SIGINT, the shell's code for Ctrl-C; 143 for SIGTERM.
    return interrupted === "SIGTERM" ? 143 : 130;
  } finally {
    unsubscribe();
    if (timer) clearInterval(timer);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
