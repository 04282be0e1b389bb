/**
 * Small statistics over a list of numbers: count, mean, quantiles, max.
 *
 * Where you are: `metrics/`, a leaf that folds run events into numbers. Pure functions only.
 */

export interface Summary {
  count: number;
  mean: number;
  p50: number;
  p95: number;
  max: number;
}

/** The q-quantile (0..1) of already sorted values, by linear interpolation; 0 for an empty list. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  const position = (sorted.length - 1) * Math.min(Math.max(q, 0), 1);
  const low = Math.floor(position);
  const high = Math.ceil(position);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const total = sorted.reduce((sum, value) => sum + value, 0);
  return {
    count: sorted.length,
    mean: sorted.length === 0 ? 0 : total / sorted.length,
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    max: sorted.length === 0 ? 0 : sorted[sorted.length - 1]!,
  };
}
