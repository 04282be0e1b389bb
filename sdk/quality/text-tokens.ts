/**
 * Words of a text, the unit of repetition ratios and dedup shingles; and the normalisation dedup
 * compares texts under.
 *
 * Where you are: `quality/`. A word is a run of letters, digits and marks; each Han, Hiragana or
 * Katakana character is a word of its own (those scripts write no spaces, so a whole Chinese
 * paragraph would otherwise be one "word").
 */

const WORD = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[\p{L}\p{N}\p{M}]+/gu;

/** The words of `text`, lower-cased. */
export function words(text: string): string[] {
  return text.toLowerCase().match(WORD) ?? [];
}

/**
 * The text dedup hashes for exact duplicates: Unicode NFKC, lower case, whitespace runs as one space,
 * trimmed. Two texts that differ only in case, spacing or compatibility forms (full-width letters,
 * ligatures) are the same text.
 */
export function normalizeText(text: string): string {
  return text.normalize("NFKC").toLowerCase().replace(/\s+/g, " ").trim();
}
