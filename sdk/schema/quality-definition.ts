/**
 * The serializable definitions of the built-in data-quality roles: `quality` (language, length,
 * repetition and schema-validity checks) and `dedup` (exact or MinHash near-duplicate removal).
 *
 * Where you are: `schema/`; pipeline-definition.ts puts these into the role union. The code that runs
 * them is in `quality/`. A `field` is a path into the task: `last` (the default: the last turn's
 * text), `turn:<role>`, or a property path such as `row.text`, `state.answer`, `history[-1].content`.
 */
import { z } from "zod";

const field = z.string().min(1).optional();
const fraction = z.number().min(0).max(1);

/** Keeps texts in one of `languages` (ISO 639-1), detected with at least `minConfidence`. */
export const LanguageCheckSchema = z.object({
  type: z.literal("language"),
  field,
  languages: z.array(z.string().min(2)).min(1),
  /** The detector's share for the top language, 0–1. @default 0 */
  minConfidence: fraction.optional(),
});

/** Keeps texts of `min`..`max` characters (Unicode code points) or words. */
export const LengthCheckSchema = z
  .object({
    type: z.literal("length"),
    field,
    min: z.number().int().nonnegative().optional(),
    max: z.number().int().nonnegative().optional(),
    /** @default "chars" */
    unit: z.enum(["chars", "words"]).optional(),
  })
  .refine((check) => check.min !== undefined || check.max !== undefined, { message: "give min, max or both" })
  .refine((check) => check.min === undefined || check.max === undefined || check.min <= check.max, {
    message: "min is larger than max",
  });

/** Drops texts whose share of repeated word n-grams exceeds `maxRatio` (a model stuck in a loop). */
export const RepetitionCheckSchema = z.object({
  type: z.literal("repetition"),
  field,
  /** Words per n-gram. @default 3 */
  n: z.number().int().min(1).max(20).optional(),
  /** Highest share of n-gram occurrences that repeat an earlier one. @default 0.2 */
  maxRatio: fraction.optional(),
});

/** Keeps a field that matches a JSON Schema (a string field is parsed as JSON first, a ```json fence allowed). */
export const SchemaCheckSchema = z.object({
  type: z.literal("schema"),
  field,
  schema: z.record(z.string(), z.unknown()),
  /** The schema's name, for messages. */
  name: z.string().optional(),
});

export const QualityCheckSchema = z.discriminatedUnion("type", [
  LanguageCheckSchema,
  LengthCheckSchema,
  RepetitionCheckSchema,
  SchemaCheckSchema,
]);
export type QualityCheck = z.infer<typeof QualityCheckSchema>;

/** Options of a dedup role (also of `dedupRecords` after a run). */
export const DedupSettingsSchema = z.object({
  field,
  /** `exact`: same text after normalisation; `minhash`: estimated Jaccard ≥ threshold. @default "minhash" */
  method: z.enum(["exact", "minhash"]).optional(),
  /** @default 0.8 */
  threshold: z.number().gt(0).max(1).optional(),
  /** @default 128 */
  numPerm: z.number().int().min(1).max(1024).optional(),
  /** @default the best split for the threshold */
  bands: z.number().int().min(1).optional(),
  /** @default 3 */
  shingleSize: z.number().int().min(1).max(50).optional(),
  /** @default "words" */
  shingleUnit: z.enum(["words", "chars"]).optional(),
  /** @default 1 */
  seed: z.number().int().optional(),
});
export type DedupSettingsDefinition = z.infer<typeof DedupSettingsSchema>;
