/**
 * `matrix dlq list|show|retry`: a run's dead letters, from its output directory (`--out DIR`) or from
 * its live driver on NATS (`--nats URL --run ID`). A retry patches each task (a JSON merge patch) and
 * runs it again with its id, so the output stays exactly-once: against a live run its driver puts them
 * into the run; against a directory a new run resumes it (with the pipeline stored there).
 *
 * Where you are: `cli/`, loaded only when `matrix dlq` runs; its flags are declared in program.ts.
 */
import { readFileSync } from "node:fs";
import { ConfigError } from "../errors.js";
import type { DeadLetterSummary } from "../sink/dead-letters.js";
import type { CliIo } from "./cli-io.js";
import { loadPipeline } from "./load-pipeline.js";
import { natsFlags, type NatsFlagValues } from "./nats-flags.js";
import type { DlqListFlags, DlqRetryFlags, DlqShowFlags } from "./program.js";
import { UsageError } from "./usage-error.js";

type Source = { out?: string; run?: string } & NatsFlagValues;

function checkSource(flags: Source): "out" | "nats" {
  if (flags.out !== undefined && flags.run !== undefined)
    throw new UsageError("--out", "give either --out DIR or --run ID (with --nats), not both");
  if (flags.run !== undefined) return "nats";
  if (flags.out !== undefined) return "out";
  throw new UsageError(
    "--out",
    "say whose dead letters: --out DIR (an output directory) or --run ID --nats URL (a live run)",
  );
}

/** Asks the live run's driver over NATS. */
async function askDriver(
  flags: Source,
  io: CliIo,
  request: Record<string, unknown> & { op: string },
): Promise<unknown> {
  const { createNatsBus, natsConnectionOptions, requestRunControl } = await import("../bus/nats/index.js");
  const bus = await createNatsBus(natsConnectionOptions(natsFlags(flags, "matrix-dlq"), io.env));
  try {
    return await requestRunControl(bus.connection, flags.run!, request as never);
  } finally {
    await bus.close();
  }
}

function row(letter: DeadLetterSummary): string {
  const error = `${letter.error.name}: ${letter.error.message}`.replace(/\s+/g, " ");
  return [
    letter.id,
    letter.role ?? "-",
    String(letter.retries),
    String(letter.turns),
    letter.resolved ? "resolved" : "open",
    error.length > 100 ? `${error.slice(0, 99)}…` : error,
  ].join("\t");
}

export async function list(flags: DlqListFlags, io: CliIo): Promise<number> {
  let letters: DeadLetterSummary[];
  if (checkSource(flags) === "out") {
    const { readDeadLetters } = await import("../sink/dead-letters.js");
    letters = readDeadLetters(flags.out!, { all: flags.all }).map(({ task: _task, raw: _raw, ...summary }) => summary);
  } else {
    letters = (await askDriver(flags, io, { op: "list" })) as DeadLetterSummary[];
  }
  if (flags.json) io.stdout(`${JSON.stringify(letters, null, 2)}\n`);
  else {
    io.stdout(`${["id", "role", "retries", "turns", "state", "error"].join("\t")}\n`);
    for (const letter of letters) io.stdout(`${row(letter)}\n`);
    io.stderr(`${letters.length} dead letter(s)\n`);
  }
  return 0;
}

export async function show(id: string, flags: DlqShowFlags, io: CliIo): Promise<number> {
  let letter: unknown;
  if (checkSource(flags) === "out") {
    const { findDeadLetter, readDeadLetters } = await import("../sink/dead-letters.js");
    const found = findDeadLetter(readDeadLetters(flags.out!, { all: true }), id);
    letter = found.task ?? found;
  } else {
    letter = await askDriver(flags, io, { op: "show", id });
  }
  io.stdout(`${JSON.stringify(letter, null, 2)}\n`);
  return 0;
}

function patchOf(flags: DlqRetryFlags): Record<string, unknown> | undefined {
  if (flags.patch !== undefined && flags.patchFile !== undefined)
    throw new UsageError("--patch", "give --patch or --patch-file, not both");
  const text = flags.patch ?? (flags.patchFile !== undefined ? readFileSync(flags.patchFile, "utf8") : undefined);
  if (text === undefined) return undefined;
  let patch: unknown;
  try {
    patch = JSON.parse(text);
  } catch (error) {
    // A --patch typed on the line is a usage error; a --patch-file's content is the file's problem.
    if (flags.patch !== undefined) throw new UsageError("--patch", `not JSON: ${(error as Error).message}`);
    throw new ConfigError("--patch-file", `${flags.patchFile} is not JSON: ${(error as Error).message}`);
  }
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) {
    const message = 'a merge patch is a JSON object, e.g. {"state":{"x":4}}';
    if (flags.patch !== undefined) throw new UsageError("--patch", message);
    throw new ConfigError("--patch-file", `${flags.patchFile}: ${message}`);
  }
  return patch as Record<string, unknown>;
}

export async function retry(ids: string[], flags: DlqRetryFlags, io: CliIo): Promise<number> {
  const patch = patchOf(flags);
  const only = ids.length > 0 ? ids : undefined;
  if (checkSource(flags) === "nats") {
    const result = await askDriver(flags, io, { op: "retry", ids: only, patch, from: flags.from });
    io.stdout(`${JSON.stringify(result)}\n`);
    return 0;
  }
  const { retryDeadLetters } = await import("../pipeline/retry.js");
  const pipeline = flags.pipeline ? await loadPipeline(flags.pipeline, { home: io.env.MATRIX_HOME }) : undefined;
  const run = retryDeadLetters({
    out: flags.out!,
    ids: only,
    patch,
    from: flags.from,
    ...(pipeline ? { pipeline } : {}),
    llm: flags.llm,
    model: flags.model,
  });
  const summary = await run.done();
  if (!flags.quiet) io.stdout(`${JSON.stringify(summary, null, 2)}\n`);
  io.stderr(
    `matrix dlq retry: ${summary.counts.done} done, ${summary.counts.failed} failed again, ${summary.counts.filtered} filtered; output in ${flags.out}\n`,
  );
  return summary.counts.failed > 0 ? 1 : 0;
}
