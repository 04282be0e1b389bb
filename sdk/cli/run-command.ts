/**
 * `matrix run <recipe|file>`: runs a pipeline to files under --out, with a progress line on stderr and
 * the summary on stdout.
 *
 * Where you are: `cli/`, loaded only when `matrix run` runs; its flags are declared in program.ts.
 * `--llm` (or OPENAI_BASE_URL) points at any OpenAI-compatible server; without it the built-in
 * simulator is started in-process. `--bus nats` drives workers over NATS instead of running the agents
 * here. Ctrl-C cancels the run: the output files are closed valid, the summary is written, the line
 * that resumes it is printed, and the exit code is 130.
 */
import { existsSync, statSync } from "node:fs";
import type { Bus } from "../bus/bus.js";
import { fileSource } from "../driver/source.js";
import type { SourceDefinition } from "../schema/pipeline-definition.js";
import type { RecordFormat } from "../schema/record-format.js";
import type { BudgetOptions, ModelPrice } from "../driver/budget.js";
import { sinkFiles } from "../sink/jsonl-sink.js";
import type { RunOptions } from "../pipeline/run-pipeline.js";
import type { CliIo } from "./cli-io.js";
import { loadPipeline } from "./load-pipeline.js";
import { natsFlags } from "./nats-flags.js";
import { BUDGET_ROLE_ENTRY, PRICE_ENTRY, type RunFlags } from "./program.js";
import { followRun } from "./follow-run.js";
import { resumeHint } from "./resume-hint.js";
import { sandboxFlags } from "./sandbox-flags.js";
import { UsageError } from "./usage-error.js";

/** `--source` (and `--format`): a recipe keeps its record format for a file of the same kind. */
function sourceOption(path: string, format: RecordFormat | undefined, current: SourceDefinition | undefined) {
  const inherited = current && "format" in current && !path.toLowerCase().endsWith(".csv") ? current.format : undefined;
  return fileSource(path, format ?? inherited);
}

export async function command(target: string, flags: RunFlags, io: CliIo, argv: readonly string[]): Promise<number> {
  const pipeline = await loadPipeline(target, { home: io.env.MATRIX_HOME, ...flags.option });
  const out = flags.out ?? `out/${pipeline.name}`;
  let bus: Bus | undefined;
  if (flags.bus === "nats") {
    const { createNatsBus, natsConnectionOptions } = await import("../bus/nats/index.js");
    const offload = flags.offloadThreshold === undefined ? {} : { offloadThreshold: flags.offloadThreshold };
    bus = await createNatsBus({ ...natsConnectionOptions(natsFlags(flags, "matrix-run"), io.env), ...offload });
  } else if (flags.offloadThreshold !== undefined)
    throw new UsageError("--offload-threshold", "offloading is for runs on NATS: add --bus nats");
  const simulator: Record<string, unknown> = { speed: flags.simSpeed };
  if (flags.simProfile) simulator.profile = flags.simProfile;
  const options: RunOptions = {
    out,
    resume: flags.resume ?? false,
    parquet: flags.parquet ?? false,
    rows: flags.rows,
    concurrency: flags.concurrency,
    maxInFlight: flags.maxInFlight,
    scheduling: flags.scheduling,
    batchSize: flags.batchSize,
    trials: flags.trials,
    seed: flags.seed,
    llm: flags.llm && flags.llmKeyEnv ? { endpoints: [{ baseUrl: flags.llm, apiKeyEnv: flags.llmKeyEnv }] } : flags.llm,
    model: flags.model,
    signingKey: flags.signingKey || undefined,
    detach: flags.detach,
    abandonAfterMs: flags.abandonAfter === undefined ? undefined : flags.abandonAfter * 60_000,
    simulator,
    bus,
    metricsPort: flags.metricsPort,
    metricsHost: flags.metricsHost,
    trace: flags.trace ?? false,
    budget: budgetOf(flags),
    sandbox: sandboxFlags(flags),
    ...(flags.source ? { source: sourceOption(flags.source, flags.format, pipeline.definition.source) } : {}),
  };
  const previous = sinkFiles(out).output;
  if (!options.resume && existsSync(previous) && statSync(previous).size > 0) {
    io.stderr(
      `matrix run: starting afresh in ${out}: its previous output is replaced (use --resume to continue it).\n`,
    );
  }
  const run = pipeline.run(options);
  try {
    return await followRun(run, {
      io,
      name: "matrix run",
      quiet: flags.quiet,
      out,
      resumeLine: `resume with: ${resumeHint(argv)}`,
      onSummary: (summary) => {
        if (summary.budget?.limit)
          io.stderr(
            `matrix run: budget limit ${summary.budget.limit} (${summary.budget.limitValue}) reached; feeding stopped` +
              (summary.budget.onLimit === "finish"
                ? `, the tasks in flight finished: ${summary.budget.spent.tokens} tokens spent in all\n`
                : "\n"),
          );
        if (summary.detached)
          io.stderr(
            `matrix run: detached run ${run.runId}: ${run.progress().fed} tasks fed; the workers go on. Collect it with: matrix attach ${run.runId} --out ${out}\n`,
          );
      },
    });
  } finally {
    await bus?.close();
  }
}

/** `--budget-*`, `--price` and `--on-limit` as run({ budget }); undefined when no limit is given. */
export function budgetOf(flags: RunFlags): BudgetOptions | undefined {
  const prices: Record<string, ModelPrice> = {};
  // Both lists were checked against these shapes when the flags were parsed (program.ts).
  for (const entry of flags.price ?? []) {
    const [, model, input, output] = PRICE_ENTRY.exec(entry)!;
    prices[model!] = { input: Number(input), output: Number(output) };
  }
  const roles: NonNullable<BudgetOptions["roles"]> = {};
  for (const entry of flags.budgetRole ?? []) {
    const [, role, kind, limit] = BUDGET_ROLE_ENTRY.exec(entry)!;
    (roles[role!] ??= {})[kind as "tokens" | "cost"] = Number(limit);
  }
  if (flags.budgetTokens === undefined && flags.budgetCost === undefined && Object.keys(roles).length === 0) {
    if (Object.keys(prices).length > 0 || flags.onLimit !== "finish")
      throw new UsageError(
        Object.keys(prices).length > 0 ? "--price" : "--on-limit",
        "prices and --on-limit go with a budget: add --budget-tokens, --budget-cost or --budget-role",
      );
    return undefined;
  }
  return {
    ...(flags.budgetTokens !== undefined ? { tokens: flags.budgetTokens } : {}),
    ...(flags.budgetCost !== undefined ? { cost: flags.budgetCost } : {}),
    ...(Object.keys(roles).length > 0 ? { roles } : {}),
    ...(Object.keys(prices).length > 0 ? { prices } : {}),
    onLimit: flags.onLimit,
  };
}
