/**
 * A constructed corpus with known duplicate pairs, for dedup tests and the dedup benchmark.
 *
 * Documents are ~1 KB of pseudo-words drawn from a fixed vocabulary (seeded, reproducible). Besides
 * the originals it holds exact duplicates (case and spacing changed), near duplicates (2% of words
 * replaced: shingle Jaccard ≈ 0.9) and hard negatives (15% replaced: Jaccard ≈ 0.45, which a 0.8
 * threshold must keep).
 */

export interface CorpusDoc {
  id: string;
  text: string;
  /** The original this document was made from; absent for originals. */
  of?: string;
  kind: "original" | "exact" | "near" | "distinct";
}

/** mulberry32: a small seeded PRNG. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ["ka", "lo", "mi", "ra", "te", "su", "no", "vi", "da", "pe", "zo", "ri", "ha", "mu", "ge", "fa"];

export function vocabulary(size: number, next: () => number): string[] {
  const words = new Set<string>();
  while (words.size < size) {
    const length = 1 + Math.floor(next() * 3);
    words.add(Array.from({ length }, () => SYLLABLES[Math.floor(next() * SYLLABLES.length)]).join(""));
  }
  return [...words];
}

/** Replaces exactly round(fraction × length) words, at distinct random positions. */
function mutate(words: string[], fraction: number, vocab: string[], next: () => number): string[] {
  const out = [...words];
  const positions = new Set<number>();
  while (positions.size < Math.round(fraction * words.length)) positions.add(Math.floor(next() * words.length));
  for (const position of positions) out[position] = `${vocab[Math.floor(next() * vocab.length)]}x`;
  return out;
}

/** A document of about `bytes` characters. */
export function document(vocab: string[], next: () => number, bytes = 1000): string[] {
  const words: string[] = [];
  let length = 0;
  while (length < bytes) {
    const word = vocab[Math.floor(next() * vocab.length)]!;
    words.push(word);
    length += word.length + 1;
  }
  return words;
}

export function corpus(
  options: { originals?: number; exact?: number; near?: number; distinct?: number; seed?: number } = {},
): CorpusDoc[] {
  const { originals = 60, exact = 30, near = 30, distinct = 20, seed = 7 } = options;
  const next = random(seed);
  const vocab = vocabulary(3000, next);
  const bases = Array.from({ length: originals }, () => document(vocab, next));
  const docs: CorpusDoc[] = bases.map((words, i) => ({ id: `o${i}`, text: words.join(" "), kind: "original" }));
  for (let i = 0; i < exact; i++) {
    const base = i % originals;
    const text = bases[base]!.map((w, j) => (j % 7 === 0 ? w.toUpperCase() : w)).join("  ");
    docs.push({ id: `e${i}`, text: ` ${text}\n`, of: `o${base}`, kind: "exact" });
  }
  for (let i = 0; i < near; i++) {
    const base = (i * 3 + 1) % originals;
    docs.push({ id: `n${i}`, text: mutate(bases[base]!, 0.02, vocab, next).join(" "), of: `o${base}`, kind: "near" });
  }
  for (let i = 0; i < distinct; i++) {
    const base = (i * 5 + 2) % originals;
    docs.push({
      id: `d${i}`,
      text: mutate(bases[base]!, 0.15, vocab, next).join(" "),
      of: `o${base}`,
      kind: "distinct",
    });
  }
  return docs;
}

/** Precision and recall of found duplicate links against the corpus's known ones. */
export function score(
  docs: CorpusDoc[],
  found: Array<{ id: string; duplicateOf: string }>,
): {
  precision: number;
  recall: number;
  truePositives: number;
  falsePositives: number;
  missed: number;
} {
  const byId = new Map(docs.map((d) => [d.id, d]));
  const group = (id: string) => byId.get(id)?.of ?? id;
  const expected = docs.filter((d) => d.kind === "exact" || d.kind === "near");
  let truePositives = 0;
  let falsePositives = 0;
  for (const link of found) {
    const doc = byId.get(link.id)!;
    const rightGroup = group(link.id) === group(link.duplicateOf) && doc.kind !== "distinct";
    const duplicateIsNegative = byId.get(link.duplicateOf)?.kind === "distinct";
    if (rightGroup && !duplicateIsNegative) truePositives++;
    else falsePositives++;
  }
  const dropped = new Set(found.map((f) => f.id));
  const missed = expected.filter((d) => !dropped.has(d.id)).length;
  return {
    precision: found.length === 0 ? 1 : truePositives / found.length,
    recall: (expected.length - missed) / expected.length,
    truePositives,
    falsePositives,
    missed,
  };
}
