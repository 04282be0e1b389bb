/**
 * The repeated n-gram ratio of a text: the share of its word n-grams that repeat an earlier one.
 *
 * Where you are: `quality/`. 0 for a text with no repeated phrase; near 1 for a model stuck in a
 * loop ("I am sorry. I am sorry. I am sorry."). The Gopher rules measure the same thing over
 * characters; over words it reads more plainly and costs one pass.
 */
import { words } from "./text-tokens.js";

/** Share (0–1) of the `n`-word n-grams of `text` that already occurred earlier in it. */
export function repeatedNgramRatio(text: string, n = 3): number {
  const tokens = words(text);
  const total = tokens.length - n + 1;
  if (total <= 1) return 0;
  const seen = new Set<string>();
  let repeats = 0;
  for (let i = 0; i < total; i++) {
    const gram = n === 1 ? tokens[i]! : tokens.slice(i, i + n).join(" ");
    if (seen.has(gram)) repeats++;
    else seen.add(gram);
  }
  return repeats / total;
}
