/**
 * The public surface of `quality/`: language identification, quality filters and dedup, as functions,
 * table functions (arquero) and pipeline roles.
 *
 * Where you are: `quality/`. sdk/index.ts re-exports this file.
 */
export {
  detectLanguage,
  knownLanguages,
  UNDETERMINED,
  type LanguageGuess,
  type DetectLanguageOptions,
} from "./language-id.js";
