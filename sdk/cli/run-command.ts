/**
 * `matrix run <recipe|file>`: runs a pipeline to files under --out, with a progress line on stderr and
 * the summary on stdout.
 *
 * Where you are: `cli/`. `--llm` (or OPENAI_BASE_URL) points at any OpenAI-compatible server; without
 * it the built-in simulator is started in-process. `--bus nats` drives workers over NATS instead of
 * running the agents here.
 */
import { existsSync, statSync } from "node:fs";
import { parseArgs } from "node:util";
import type { Bus } from "../bus/bus.js";
import { ConfigError } from "../errors.js";
import { sinkFiles } from "../sink/jsonl-sink.js";
import type { RunOptions } from "../pipeline/run-pipeline.js";
import type { CliIo } from "./cli-io.js";
import { loadPipeline } from "./load-pipeline.js";
import { NATS_FLAG_HELP, NATS_FLAG_OPTIONS, natsFlags } from "./nats-flags.js";
import { progressLine } from "./progress-line.js";

const HELP = `Usage: matrix run <recipe|file> [options]

  --rows N            read at most N source rows
  --source PATH       rows from this JSONL or CSV file instead of the pipeline's
  --out DIR           output directory (default: out/<pipeline name>)
  --resume            skip ids already in DIR's output and append
  --parquet           also write DIR/output.parquet when the run ends
  --concurrency N     tasks handled at once per role
  --max-in-flight N   tasks fed and not yet finished (default 256)
  --trials N          trials per row
  --seed N            base seed
  --llm URL           OpenAI-compatible base URL (default: OPENAI_BASE_URL, else the built-in simulator)
  --model NAME        model for chat roles
  --sim-speed X       built-in simulator speed factor (default 50 for runs started here)
  --sim-profile NAME  built-in simulator latency profile
  --bus local|nats    where tasks travel (default local); with nats, workers serve the roles
  --quiet             no progress line

NATS connection (with --bus nats):
${NATS_FLAG_HELP}`;

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < 0)
    throw new ConfigError(`--${name}`, `expected a whole number, got '${value}'`);
  return number;
}

export async function command(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      rows: { type: "string" },
      source: { type: "string" },
      out: { type: "string" },
      resume: { type: "boolean" },
      parquet: { type: "boolean" },
      concurrency: { type: "string" },
      "max-in-flight": { type: "string" },
      trials: { type: "string" },
      seed: { type: "string" },
      llm: { type: "string" },
      model: { type: "string" },
      "sim-speed": { type: "string" },
      "sim-profile": { type: "string" },
      bus: { type: "string" },
      ...NATS_FLAG_OPTIONS,
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help || positionals.length !== 1) {
    (values.help ? io.stdout : io.stderr)(HELP);
    return values.help ? 0 : 2;
  }
  const pipeline = await loadPipeline(positionals[0]!, { home: io.env.MATRIX_HOME });
  const out = values.out ?? `out/${pipeline.name}`;
  let bus: Bus | undefined;
  const busKind = values.bus ?? "local";
  if (busKind === "nats") {
    const { createNatsBus, natsConnectionOptions } = await import("../bus/nats/index.js");
    bus = await createNatsBus(natsConnectionOptions(natsFlags(values, "matrix-run"), io.env));
  } else if (busKind !== "local") {
    throw new ConfigError("--bus", `expected 'local' or 'nats', got '${busKind}'`);
  }
  const simulator: Record<string, unknown> = { speed: Number(values["sim-speed"] ?? 50) };
  if (values["sim-profile"]) simulator.profile = values["sim-profile"];
  const options: RunOptions = {
    out,
    resume: values.resume ?? false,
    parquet: values.parquet ?? false,
    rows: integer("rows", values.rows),
    concurrency: integer("concurrency", values.concurrency),
    maxInFlight: integer("max-in-flight", values["max-in-flight"]),
    trials: integer("trials", values.trials),
    seed: integer("seed", values.seed),
    llm: values.llm,
    model: values.model,
    simulator,
    bus,
    ...(values.source
      ? {
          source: {
            kind: values.source.toLowerCase().endsWith(".csv") ? ("csv" as const) : ("jsonl" as const),
            path: values.source,
          },
        }
      : {}),
  };
  const previous = sinkFiles(out).output;
  if (!options.resume && existsSync(previous) && statSync(previous).size > 0) {
    io.stderr(
      `matrix run: starting afresh in ${out}: its previous output is replaced (use --resume to continue it).\n`,
    );
  }
  const run = pipeline.run(options);
  const onSignal = () => void run.cancel();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const timer = values.quiet
    ? undefined
    : setInterval(() => io.stderr(progressLine(run.progress(), io.interactive)), io.interactive ? 250 : 2000);
  try {
    const summary = await run.done();
    if (timer) io.stderr(`${progressLine(run.progress(), io.interactive)}\n`);
    io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
    return summary.cancelled ? 130 : 0;
  } finally {
    if (timer) clearInterval(timer);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await bus?.close();
  }
}
