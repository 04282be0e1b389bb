import { describe, expect, it } from "vitest";
import { candidateProbability, optimalBands } from "../../sdk/quality/lsh-bands.js";
import {
  decodeSignature,
  encodeSignature,
  estimateJaccard,
  exactJaccard,
  MinHasher,
} from "../../sdk/quality/minhash.js";
import { corpus, random } from "./dedup-corpus.js";

describe("MinHash", () => {
  it("estimates the Jaccard similarity of random sets within sampling error", async () => {
    const hasher = await MinHasher.create({ numPerm: 128, seed: 3 });
    const next = random(11);
    const errors: number[] = [];
    for (let trial = 0; trial < 200; trial++) {
      // Two sets over a shared universe, with a similarity drawn uniformly in [0, 1].
      const shared = next();
      const a = new Set<number>();
      const b = new Set<number>();
      for (let i = 0; i < 300; i++) {
        const element = Math.floor(next() * 2 ** 32);
        const p = next();
        if (p < shared) {
          a.add(element);
          b.add(element);
        } else if (p < (1 + shared) / 2) a.add(element);
        else b.add(element);
      }
      errors.push(estimateJaccard(hasher.signatureOf(a), hasher.signatureOf(b)) - exactJaccard(a, b));
    }
    const mean = errors.reduce((sum, e) => sum + e, 0) / errors.length;
    const rmse = Math.sqrt(errors.reduce((sum, e) => sum + e * e, 0) / errors.length);
    // An unbiased estimator: its standard error is at most sqrt(0.25 / 128) = 0.044.
    expect(Math.abs(mean)).toBeLessThan(0.015);
    expect(rmse).toBeLessThan(0.05);
    expect(Math.max(...errors.map(Math.abs))).toBeLessThan(0.2);
  });

  it("estimates the shingle Jaccard of the corpus's pairs (exact, near, distinct) within tolerance", async () => {
    const hasher = await MinHasher.create();
    const docs = corpus({ originals: 30, exact: 10, near: 15, distinct: 15 });
    const byId = new Map(docs.map((d) => [d.id, d]));
    for (const doc of docs.filter((d) => d.of)) {
      const original = byId.get(doc.of!)!;
      const exact = exactJaccard(hasher.shingleHashes(doc.text), hasher.shingleHashes(original.text));
      const estimate = estimateJaccard(hasher.signature(doc.text)!, hasher.signature(original.text)!);
      expect(Math.abs(estimate - exact), `${doc.id}: exact ${exact}, estimate ${estimate}`).toBeLessThan(0.15);
      if (doc.kind === "exact") expect(exact).toBe(1);
      if (doc.kind === "near") expect(exact).toBeGreaterThan(0.8);
      if (doc.kind === "distinct") expect(exact).toBeLessThan(0.65);
    }
  });

  it("is the same for the same options and seed, and differs for another seed", async () => {
    const text = "the quick brown fox jumps over the lazy dog";
    const a = (await MinHasher.create({ seed: 5 })).signature(text)!;
    const b = (await MinHasher.create({ seed: 5 })).signature(text)!;
    const c = (await MinHasher.create({ seed: 6 })).signature(text)!;
    expect([...a]).toEqual([...b]);
    expect([...a]).not.toEqual([...c]);
    expect([...decodeSignature(encodeSignature(a))]).toEqual([...a]);
  });

  it("shingles words of any script, or characters; a text without words has no signature", async () => {
    const words = await MinHasher.create({ shingleSize: 2 });
    expect(words.shingleHashes("one two three").size).toBe(2);
    expect(words.shingleHashes("一二三").size).toBe(2); // each Han character is a word
    expect(words.shingleHashes("solo").size).toBe(1);
    expect(words.signature("  ...  !!")).toBeUndefined();
    const chars = await MinHasher.create({ shingleUnit: "chars", shingleSize: 3 });
    expect(chars.shingleHashes("abcd").size).toBe(2);
  });
});

describe("LSH banding", () => {
  it("puts the steep part of the S-curve at the threshold, favouring recall", () => {
    for (const threshold of [0.5, 0.7, 0.8, 0.9]) {
      const banding = optimalBands(threshold, 128);
      expect(banding.bands * banding.rows).toBeLessThanOrEqual(128);
      expect(candidateProbability(threshold, banding)).toBeGreaterThan(0.8);
      expect(candidateProbability(Math.min(1, threshold + 0.05), banding)).toBeGreaterThan(0.95);
      expect(candidateProbability(threshold - 0.3, banding)).toBeLessThan(0.1);
    }
    expect(optimalBands(0.8, 128)).toEqual({ bands: 14, rows: 9 });
  });
});
