/**
 * Quality checks as table functions, for notebooks: score an arquero table's rows, or split them into
 * kept and dropped (with the reason), with the same checks the `quality` role runs.
 *
 * Where you are: `quality/`. A check's `field` is a column or a path into one (`text`,
 * `history[-1].content`, `last` for a table of task records). A row without the field fails with
 * QualityFieldError naming the field and the row.
 */
import * as aq from "arquero";
import { QualityFieldError } from "../errors.js";
import { QualityCheckSchema, type QualityCheck } from "../schema/quality-definition.js";
import { formatIssuePath } from "../schema/issue-path.js";
import { runChecks, type CheckResult } from "./quality-check.js";
import { describeMissing, valueAt } from "./text-field.js";

function parseChecks(checks: QualityCheck | readonly QualityCheck[]): QualityCheck[] {
  return (Array.isArray(checks) ? checks : [checks]).map((check, index) => {
    const result = QualityCheckSchema.safeParse(check);
    if (result.success) return result.data;
    const issue = result.error.issues[0]!;
    throw new QualityFieldError(
      `checks[${index}]${issue.path.length ? `.${formatIssuePath(issue.path)}` : ""}`,
      issue.message,
    );
  });
}

function evaluate(table: aq.ColumnTable, checks: QualityCheck[]): CheckResult[] {
  return table.objects().map((row, index) =>
    runChecks(checks, (check) => {
      const field = check.field ?? "last";
      const value = valueAt(row, field);
      if (value === undefined || value === null)
        throw new QualityFieldError(field, `row ${index}: ${describeMissing(row, field)}`);
      return value;
    }),
  );
}

/**
 * The table with the checks' measures as columns (`language`, `languageConfidence`, `length`,
 * `repetition`, `schemaValid`, ...), plus `quality_pass` and `quality_reason`.
 *
 * @example
 * qualityColumns(table, [{ type: "language", field: "text", languages: ["en"] }, { type: "length", field: "text", min: 50 }])
 */
export function qualityColumns(table: aq.ColumnTable, checks: QualityCheck | readonly QualityCheck[]): aq.ColumnTable {
  const results = evaluate(table, parseChecks(checks));
  const names = [...new Set(results.flatMap((result) => Object.keys(result.measures)))];
  const columns: Record<string, unknown[]> = {};
  for (const name of names) columns[name] = results.map((result) => result.measures[name] ?? null);
  columns.quality_pass = results.map((result) => result.pass);
  columns.quality_reason = results.map((result) => result.reason ?? null);
  return table.reify().assign(aq.table(columns)) as aq.ColumnTable;
}

/** Splits the table: rows that pass every check, and rows that failed one (with `reason` and the measures). */
export function applyQuality(
  table: aq.ColumnTable,
  checks: QualityCheck | readonly QualityCheck[],
): { kept: aq.ColumnTable; dropped: aq.ColumnTable } {
  const scored = qualityColumns(table, checks);
  return {
    kept: scored.filter((row: { quality_pass: boolean }) => row.quality_pass).reify() as aq.ColumnTable,
    dropped: scored
      .filter((row: { quality_pass: boolean }) => !row.quality_pass)
      .rename({ quality_reason: "reason" })
      .reify() as aq.ColumnTable,
  };
}
