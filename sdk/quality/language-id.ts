/**
 * Language identification of a text: which language it is written in, with a confidence.
 *
 * Where you are: `quality/`, the data-quality filters. This wraps the kept library `tinyld` (pure JS,
 * no dependencies, 62 languages, loads as CommonJS under tslab). It was chosen by measurement against
 * franc, franc-min, eld, cld3-asm, languagedetect and lande on the labelled passages the project ships
 * (`datasets/language-id/`, 144 passages in 24 languages; figures in that README; rerun with
 * `npx tsx bench/language-id.ts`): it was the most accurate (100%, also on one-sentence passages) at
 * ~1,300 documents/s of 1 KB on this machine, with a 0.4 s load and ~20 MB of heap.
 *
 * Codes are ISO 639-1 (`en`, `de`, `zh`) where the language has one, else ISO 639-3. `und` means no
 * guess (empty text, digits or symbols only).
 */
import { detectAll, supportedLanguages, toISO2 } from "tinyld";

export interface LanguageGuess {
  /** ISO 639-1 code (ISO 639-3 where there is none), or `und` when the text gives no guess. */
  language: string;
  /**
   * The top language's share of the detector's scores, 0–1. A relative share, not a calibrated
   * probability: a clear paragraph scores near 1, a short or mixed text lower.
   */
  confidence: number;
  /** The candidates the detector considered, best first, with their shares. */
  candidates: Array<{ language: string; score: number }>;
}

export interface DetectLanguageOptions {
  /** Consider only these languages (ISO 639-1 codes). */
  only?: readonly string[];
  /**
   * Look at this many characters from the start: a document's language is settled long before its
   * end, and the cost grows with the length. @default 2000
   */
  maxChars?: number;
}

export const UNDETERMINED = "und";

/** Languages the detector knows, as ISO 639-1 codes where they exist. */
export function knownLanguages(): string[] {
  return supportedLanguages.map((code) => toISO2(code) || code);
}

/**
 * The language of `text`.
 *
 * @example
 * detectLanguage("Der Zug nach Hamburg fällt heute leider aus.") // { language: "de", confidence: 0.9…, … }
 */
export function detectLanguage(text: string, options: DetectLanguageOptions = {}): LanguageGuess {
  const sample = text.length > (options.maxChars ?? 2000) ? text.slice(0, options.maxChars ?? 2000) : text;
  const scored = detectAll(sample, options.only ? { only: [...options.only] } : undefined);
  const total = scored.reduce((sum, entry) => sum + entry.accuracy, 0);
  if (scored.length === 0 || total <= 0) return { language: UNDETERMINED, confidence: 0, candidates: [] };
  const candidates = scored.map((entry) => ({ language: entry.lang, score: entry.accuracy / total }));
  return { language: candidates[0]!.language, confidence: candidates[0]!.score, candidates };
}
