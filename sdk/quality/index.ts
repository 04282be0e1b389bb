/**
 * The public surface of `quality/`: language identification, quality checks and dedup, as functions,
 * table functions (arquero) and the index the `quality` and `dedup` roles use.
 *
 * Where you are: `quality/`. sdk/index.ts re-exports this file; the roles themselves are built with
 * `pipeline(...).quality() / .filterLanguage() / .dedup()`.
 */
export {
  detectLanguage,
  knownLanguages,
  UNDETERMINED,
  type LanguageGuess,
  type DetectLanguageOptions,
} from "./language-id.js";
export { repeatedNgramRatio } from "./repetition.js";
export { runCheck, runChecks, type CheckResult } from "./quality-check.js";
export { qualityColumns, applyQuality } from "./quality-table.js";
export { valueAt, parseFieldPath } from "./text-field.js";
export { words, normalizeText } from "./text-tokens.js";
export { MinHasher, estimateJaccard, exactJaccard, type MinHashOptions } from "./minhash.js";
export { optimalBands, candidateProbability, type Banding } from "./lsh-bands.js";
export { DedupIndex, dedupSettings, type DedupOptions, type DedupVerdict, type DedupSettings } from "./dedup-index.js";
export {
  dedupRecords,
  dedupJsonl,
  dedupTable,
  type DedupRecordsOptions,
  type DedupReport,
  type DuplicateLink,
  type ReferenceInput,
} from "./dedup-records.js";
