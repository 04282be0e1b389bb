/**
 * LSH banding: which bands (of `rows` signature values each) two signatures must share one of to be
 * compared, and the band keys a signature files under.
 *
 * Where you are: `quality/`, under dedup. Two texts of Jaccard similarity s share at least one band
 * with probability 1 − (1 − s^rows)^bands, an S-curve whose steep part should sit at the threshold.
 * `optimalBands` picks bands × rows ≤ numPerm minimising the area of false positives below the
 * threshold plus false negatives above it, as datasketch does, but weighting misses 9:1 rather than
 * 1:1: every candidate is verified on the full signature, so a false candidate costs one comparison
 * while a missed one keeps a duplicate. At threshold 0.8 and 128 permutations that is 14 bands of 9
 * rows (a pair at 0.85 becomes a candidate with probability 0.975; datasketch's 9 × 13 gives 0.69).
 */
import type { XXHashAPI } from "xxhash-wasm";

export interface Banding {
  bands: number;
  rows: number;
}

/** ∫ f over [from, to] by the trapezoid rule; the integrands here are smooth polynomials. */
function integrate(f: (s: number) => number, from: number, to: number, steps = 200): number {
  const width = (to - from) / steps;
  let area = (f(from) + f(to)) / 2;
  for (let i = 1; i < steps; i++) area += f(from + i * width);
  return area * width;
}

const cache = new Map<string, Banding>();

/** The bands × rows that best separate pairs above `threshold` from those below, within `numPerm`. */
export function optimalBands(threshold: number, numPerm: number): Banding {
  const key = `${threshold}/${numPerm}`;
  const known = cache.get(key);
  if (known) return known;
  let best: Banding = { bands: 1, rows: numPerm };
  let bestError = Infinity;
  for (let bands = 1; bands <= numPerm; bands++) {
    for (let rows = 1; rows * bands <= numPerm; rows++) {
      const hit = (s: number) => 1 - (1 - s ** rows) ** bands;
      const error = 0.1 * integrate(hit, 0, threshold) + 0.9 * integrate((s) => 1 - hit(s), threshold, 1);
      if (error < bestError) {
        bestError = error;
        best = { bands, rows };
      }
    }
  }
  cache.set(key, best);
  return best;
}

/** The probability that two texts of similarity `s` share a band (become candidates). */
export function candidateProbability(s: number, banding: Banding): number {
  return 1 - (1 - s ** banding.rows) ** banding.bands;
}

/** One key per band: the band's index and the xxHash64 of its values. */
export function bandKeys(signature: Uint32Array, banding: Banding, xx: XXHashAPI): string[] {
  const keys: string[] = [];
  const bytes = new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength);
  for (let band = 0; band < banding.bands; band++) {
    const slice = bytes.subarray(band * banding.rows * 4, (band + 1) * banding.rows * 4);
    keys.push(`${band}.${xx.h64Raw(slice).toString(16).padStart(16, "0")}`);
  }
  return keys;
}
