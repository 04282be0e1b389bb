/**
 * Seeded randomness: a string hash and a small PRNG, so the same seed and request give the same reply.
 *
 * Where you are: `llm/simulator/`. Pure functions; nothing here reads the clock or `Math.random`, which is
 * what makes replies reproducible. Changing an algorithm here changes every simulated reply.
 */

/** 32-bit FNV-1a of a string (over UTF-16 code units; enough to spread request texts). */
export function hashString(text: string, seed = 0): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  // A final avalanche, because FNV's low bits are weak for short inputs.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  return hash >>> 0;
}

/**
 * mulberry32: one 32-bit word of state, so a sequence can keep its generator in a number field.
 * `next` returns the value in [0, 1) and the state that follows.
 */
export function nextRandom(state: number): { value: number; state: number } {
  const nextState = (state + 0x6d2b79f5) >>> 0;
  let t = nextState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { value: ((t ^ (t >>> 14)) >>> 0) / 4294967296, state: nextState };
}

/** A stateful wrapper over `nextRandom` for code that draws many values in one go. */
export class Random {
  constructor(public state: number) {}

  next(): number {
    const { value, state } = nextRandom(this.state);
    this.state = state;
    return value;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A standard normal draw (Box-Muller). */
  normal(): number {
    const u = Math.max(this.next(), Number.MIN_VALUE);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** A lognormal draw with the given median and sigma (heavy right tail, like real reply lengths). */
  lognormal(median: number, sigma: number): number {
    return sigma === 0 ? median : median * Math.exp(sigma * this.normal());
  }
}
