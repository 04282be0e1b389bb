/**
 * Runs one quality check (language, length, repetition, schema validity) on a value: whether it
 * passes, why not, and what was measured.
 *
 * Where you are: `quality/`. The pure core shared by the `quality` role (during a run) and the table
 * functions (notebooks). Schema validity reuses the LLM layer's JSON Schema validator and its
 * reply parser (a ```json fence is accepted), so a field checks the way structured output does.
 */
import { validateJsonSchema } from "../llm/json-schema-validator.js";
import { parseStructuredReply } from "../llm/structured-output.js";
import type { QualityCheck } from "../schema/quality-definition.js";
import { detectLanguage } from "./language-id.js";
import { repeatedNgramRatio } from "./repetition.js";
import { asText, isTurn } from "./text-field.js";
import { words } from "./text-tokens.js";

export interface CheckResult {
  pass: boolean;
  /** Why it failed: `language:<code>`, `low-language-confidence`, `too-short`, `too-long`, `repetitive`, `schema-invalid`. */
  reason?: string;
  /** What was measured, e.g. `{ language: "de", languageConfidence: 0.97 }`; recorded in `state[role]`. */
  measures: Record<string, unknown>;
}

const round = (value: number) => Math.round(value * 1000) / 1000;

/** A turn is checked by its text, or for a schema check by its structured `data` when it has one. */
function checked(check: QualityCheck, value: unknown): unknown {
  if (!isTurn(value)) return value;
  return check.type === "schema" && value.data !== undefined ? value.data : value.content;
}

export function runCheck(check: QualityCheck, input: unknown): CheckResult {
  const value = checked(check, input);
  switch (check.type) {
    case "language": {
      const guess = detectLanguage(asText(value) ?? "");
      const measures = { language: guess.language, languageConfidence: round(guess.confidence) };
      if (!check.languages.includes(guess.language))
        return { pass: false, reason: `language:${guess.language}`, measures };
      if (guess.confidence < (check.minConfidence ?? 0))
        return { pass: false, reason: "low-language-confidence", measures };
      return { pass: true, measures };
    }
    case "length": {
      const text = asText(value) ?? "";
      const length = check.unit === "words" ? words(text).length : [...text].length;
      const measures = { length };
      if (check.min !== undefined && length < check.min) return { pass: false, reason: "too-short", measures };
      if (check.max !== undefined && length > check.max) return { pass: false, reason: "too-long", measures };
      return { pass: true, measures };
    }
    case "repetition": {
      const ratio = round(repeatedNgramRatio(asText(value) ?? "", check.n ?? 3));
      const measures = { repetition: ratio };
      return ratio > (check.maxRatio ?? 0.2)
        ? { pass: false, reason: "repetitive", measures }
        : { pass: true, measures };
    }
    case "schema": {
      const issues =
        typeof value === "string"
          ? schemaIssuesOfText(value, check.schema)
          : validateJsonSchema(check.schema, value).join("; ") || undefined;
      return issues === undefined
        ? { pass: true, measures: { schemaValid: true } }
        : { pass: false, reason: "schema-invalid", measures: { schemaValid: false, schemaIssues: issues } };
    }
  }
}

function schemaIssuesOfText(text: string, schema: Record<string, unknown>): string | undefined {
  const parsed = parseStructuredReply(text, schema);
  return parsed.success ? undefined : parsed.issues;
}

/** Runs checks in order, stopping at the first failure; the measures of every check run are merged. */
export function runChecks(checks: readonly QualityCheck[], valueOf: (check: QualityCheck) => unknown): CheckResult {
  const measures: Record<string, unknown> = {};
  for (const check of checks) {
    const result = runCheck(check, valueOf(check));
    Object.assign(measures, result.measures);
    if (!result.pass) return { pass: false, reason: result.reason, measures };
  }
  return { pass: true, measures };
}
