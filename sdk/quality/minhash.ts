/**
 * MinHash signatures of texts and the Jaccard similarity they estimate.
 *
 * Where you are: `quality/`, under dedup. Written here rather than kept: the npm MinHash packages do
 * not fit. `minhash` (0.0.9) multiplies two 32-bit numbers in floating point (`a * hash + b` loses
 * bits past 2^53), re-hashes the string once per permutation and keeps its LSH index in one
 * process's memory; `bloom-filters` has a MinHash of numbers but no LSH and pulls in lodash, long,
 * seedrandom and reflect-metadata. The hashing itself is the kept xxHash (hashing.ts); this file only
 * takes minima. Tested against exact Jaccard on random sets (test/quality/minhash.test.ts).
 *
 * A shingle is `shingleSize` consecutive words (or characters). Permutation i maps a shingle hash h
 * to fmix32(a_i·h + b_i mod 2^32) with odd a_i: a bijection of 32-bit values, mixed by MurmurHash3's
 * finaliser so that the orders of different permutations are independent enough for the estimate.
 * The a_i, b_i come from `seed`: every process with the same options computes the same signatures.
 */
import type { XXHashAPI } from "xxhash-wasm";
import { hasher } from "./hashing.js";
import { normalizeText, words } from "./text-tokens.js";

export interface MinHashOptions {
  /** Permutations, i.e. signature length. More is a finer estimate (error ~ 1/sqrt(numPerm)). @default 128 */
  numPerm?: number;
  /** Words (or characters) per shingle. @default 3 */
  shingleSize?: number;
  /** Shingles of words (any script; CJK characters count as words) or of characters. @default "words" */
  shingleUnit?: "words" | "chars";
  /** Seed of the permutations; signatures compare only under the same seed and options. @default 1 */
  seed?: number;
}

/** MurmurHash3's 32-bit finaliser: a bijection that avalanches every input bit. */
function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** splitmix32: the permutation parameters, reproducible from the seed. */
function parameters(count: number, seed: number): Uint32Array {
  const out = new Uint32Array(count);
  let state = seed >>> 0;
  for (let i = 0; i < count; i++) {
    state = (state + 0x9e3779b9) >>> 0;
    out[i] = fmix32(state);
  }
  return out;
}

export class MinHasher {
  readonly numPerm: number;
  readonly shingleSize: number;
  readonly shingleUnit: "words" | "chars";
  readonly seed: number;
  private readonly a: Uint32Array;
  private readonly b: Uint32Array;

  private constructor(
    private readonly xx: XXHashAPI,
    options: MinHashOptions,
  ) {
    this.numPerm = options.numPerm ?? 128;
    this.shingleSize = options.shingleSize ?? 3;
    this.shingleUnit = options.shingleUnit ?? "words";
    this.seed = options.seed ?? 1;
    if (!Number.isInteger(this.numPerm) || this.numPerm < 1) throw new RangeError("numPerm must be a positive integer");
    if (!Number.isInteger(this.shingleSize) || this.shingleSize < 1)
      throw new RangeError("shingleSize must be a positive integer");
    const drawn = parameters(2 * this.numPerm, this.seed);
    this.a = drawn.subarray(0, this.numPerm).map((value) => value | 1);
    this.b = drawn.subarray(this.numPerm);
  }

  /** A hasher for these options (loads the xxHash WebAssembly module on first use). */
  static async create(options: MinHashOptions = {}): Promise<MinHasher> {
    return new MinHasher(await hasher(), options);
  }

  /** The shingles of `text` as 32-bit hashes (a text shorter than one shingle is one shingle). */
  shingleHashes(text: string): Set<number> {
    const hashes = new Set<number>();
    const size = this.shingleSize;
    const seed = this.seed;
    if (this.shingleUnit === "chars") {
      const chars = [...normalizeText(text)];
      if (chars.length === 0) return hashes;
      if (chars.length <= size) hashes.add(this.xx.h32(chars.join(""), seed));
      for (let i = 0; i + size <= chars.length; i++) hashes.add(this.xx.h32(chars.slice(i, i + size).join(""), seed));
      return hashes;
    }
    const tokens = words(text.normalize("NFKC"));
    if (tokens.length === 0) return hashes;
    if (tokens.length <= size) hashes.add(this.xx.h32(tokens.join(" "), seed));
    for (let i = 0; i + size <= tokens.length; i++) hashes.add(this.xx.h32(tokens.slice(i, i + size).join(" "), seed));
    return hashes;
  }

  /** The signature of a set of shingle hashes: per permutation, the least permuted value. */
  signatureOf(hashes: Iterable<number>): Uint32Array {
    const n = this.numPerm;
    const a = this.a;
    const b = this.b;
    const signature = new Uint32Array(n).fill(0xffffffff);
    for (const h of hashes) {
      for (let i = 0; i < n; i++) {
        const value = fmix32((Math.imul(a[i]!, h) + b[i]!) | 0);
        if (value < signature[i]!) signature[i] = value;
      }
    }
    return signature;
  }

  /** The signature of `text`; `undefined` when it has no words (nothing to compare). */
  signature(text: string): Uint32Array | undefined {
    const hashes = this.shingleHashes(text);
    return hashes.size === 0 ? undefined : this.signatureOf(hashes);
  }
}

/** The fraction of positions where two signatures agree: the estimate of their sets' Jaccard similarity. */
export function estimateJaccard(a: Uint32Array, b: Uint32Array): number {
  if (a.length !== b.length) throw new RangeError(`signatures differ in length (${a.length} vs ${b.length})`);
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/** |A ∩ B| / |A ∪ B| of two sets (1 for two empty sets). */
export function exactJaccard<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  for (const item of small) if (large.has(item)) shared++;
  return shared / (a.size + b.size - shared);
}

/** A signature as text (for a KV value or a JSON record) and back. */
export function encodeSignature(signature: Uint32Array): string {
  return Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength).toString("base64");
}

export function decodeSignature(text: string): Uint32Array {
  const bytes = Buffer.from(text, "base64");
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Uint32Array(copy.buffer);
}
