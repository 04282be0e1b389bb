/**
 * Token accounting: prompt and completion tokens (from the servers' `usage`) and call counts, broken
 * down by role, by model and by endpoint.
 *
 * Where you are: `llm/`, owned by the pool (`pool.usage()` returns `snapshot()`). Labels are endpoint
 * labels (credentials stripped), roles and model names: never anything from request content.
 */

export interface UsageCounters {
  calls: number;
  promptTokens: number;
  completionTokens: number;
}

export interface UsageSnapshot {
  total: UsageCounters;
  byRole: Record<string, UsageCounters>;
  byModel: Record<string, UsageCounters>;
  byEndpoint: Record<string, UsageCounters>;
}

/** Role recorded for calls that did not name one. */
export const UNLABELLED_ROLE = "(none)";

function zero(): UsageCounters {
  return { calls: 0, promptTokens: 0, completionTokens: 0 };
}

function add(target: Record<string, UsageCounters>, key: string, promptTokens: number, completionTokens: number) {
  const counters = (target[key] ??= zero());
  counters.calls++;
  counters.promptTokens += promptTokens;
  counters.completionTokens += completionTokens;
}

export class UsageTracker {
  readonly #total = zero();
  readonly #byRole: Record<string, UsageCounters> = {};
  readonly #byModel: Record<string, UsageCounters> = {};
  readonly #byEndpoint: Record<string, UsageCounters> = {};

  record(
    labels: { role?: string; model: string; endpoint: string },
    usage: { promptTokens: number; completionTokens: number },
  ): void {
    this.#total.calls++;
    this.#total.promptTokens += usage.promptTokens;
    this.#total.completionTokens += usage.completionTokens;
    add(this.#byRole, labels.role ?? UNLABELLED_ROLE, usage.promptTokens, usage.completionTokens);
    add(this.#byModel, labels.model, usage.promptTokens, usage.completionTokens);
    add(this.#byEndpoint, labels.endpoint, usage.promptTokens, usage.completionTokens);
  }

  /** A deep copy: later calls do not change a snapshot already handed out. */
  snapshot(): UsageSnapshot {
    return structuredClone({
      total: this.#total,
      byRole: this.#byRole,
      byModel: this.#byModel,
      byEndpoint: this.#byEndpoint,
    });
  }
}
