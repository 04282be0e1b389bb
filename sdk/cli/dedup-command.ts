/**
 * `matrix dedup <out-dir|file.jsonl>`: drops exact and near-duplicate records of a run's output,
 * writing `deduped.jsonl` (the kept lines, unchanged) and `duplicates.jsonl` (each dropped record and
 * the one it duplicates); `--reference` also drops what an existing dataset already has.
 *
 * Where you are: `cli/`, loaded only when `matrix dedup` runs; its flags are declared in program.ts.
 * The work is `dedupJsonl` in sdk/quality/dedup-records.ts; this file checks the flags and prints the
 * report (a line on stderr, the report on stdout).
 */
import { formatIssuePath } from "../schema/issue-path.js";
import { DedupSettingsSchema } from "../schema/quality-definition.js";
import type { CliIo } from "./cli-io.js";
import type { DedupFlags } from "./program.js";
import { UsageError } from "./usage-error.js";

export async function command(input: string, flags: DedupFlags, io: CliIo): Promise<number> {
  const settings = DedupSettingsSchema.safeParse({
    field: flags.field,
    method: flags.method,
    threshold: flags.threshold,
    numPerm: flags.numPerm,
    bands: flags.bands,
    shingleSize: flags.shingleSize,
    shingleUnit: flags.shingleUnit,
    seed: flags.seed,
  });
  if (!settings.success) {
    const issue = settings.error.issues[0]!;
    // Every setting comes from a flag: what the schema refuses is a usage error naming that flag.
    throw new UsageError(
      `--${formatIssuePath(issue.path).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
      issue.message,
    );
  }
  if (settings.data.bands !== undefined && settings.data.bands > (settings.data.numPerm ?? 128))
    throw new UsageError("--bands", `${settings.data.bands} bands need at least as many permutations (--num-perm)`);
  const { dedupJsonl } = await import("../quality/dedup-records.js");
  const report = await dedupJsonl(input, {
    ...settings.data,
    idField: flags.idField,
    ...(flags.reference ? { reference: flags.reference } : {}),
    ...(flags.out ? { out: flags.out } : {}),
  });
  const rate = report.durationMs > 0 ? Math.round((report.records / report.durationMs) * 1000) : report.records;
  io.stderr(
    `matrix dedup: ${report.records} records, kept ${report.kept}, dropped ${report.duplicates}` +
      `${report.reference ? ` (against ${report.reference} reference records)` : ""}` +
      `${report.missingField.length ? `, ${report.missingField.length} without ${flags.field} kept` : ""}` +
      `${report.badLines.length ? `, ${report.badLines.length} lines not JSON skipped` : ""}` +
      ` in ${(report.durationMs / 1000).toFixed(1)} s (${rate} records/s): ${report.files!.kept}, ${report.files!.duplicates}\n`,
  );
  io.stdout(
    flags.json
      ? `${JSON.stringify(report, null, 2)}\n`
      : `${JSON.stringify({ ...report, missingField: report.missingField.length })}\n`,
  );
  return 0;
}
