/**
 * A prom-client Counter fed from a plain tally: `add(labels, n)` updates a map, and prom-client's
 * `collect` hook copies the tally into the counter before every scrape.
 *
 * Where you are: `metrics/`, used by LiveMetrics for the LLM families. Why a tally rather than
 * `counter.inc`: the series of one run can then be forgotten by a partial label match (`forget({ run })`)
 * when a long-lived worker is done with the run; prom-client's `remove` needs every label value.
 */
import { Counter, type CounterConfiguration } from "prom-client";

export class TalliedCounter<T extends string> extends Counter<T> {
  private readonly tally = new Map<string, { labels: Record<string, string>; value: number }>();

  constructor(config: Omit<CounterConfiguration<T>, "collect">) {
    super({
      ...config,
      collect() {
        const self = this as unknown as TalliedCounter<T>;
        self.reset();
        for (const { labels, value } of self.tally.values()) self.inc(labels as Record<T, string>, value);
      },
    });
  }

  add(labels: Record<T, string>, value = 1): void {
    if (!(value >= 0)) return;
    const key = JSON.stringify(labels);
    const entry = this.tally.get(key);
    if (entry) entry.value += value;
    else this.tally.set(key, { labels: { ...labels }, value });
  }

  forget(match: Partial<Record<T, string>>): void {
    for (const [key, entry] of this.tally) {
      if (Object.entries(match).every(([name, value]) => entry.labels[name] === value)) this.tally.delete(key);
    }
  }
}
