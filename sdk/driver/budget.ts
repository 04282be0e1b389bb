/**
 * Budgets: token and cost limits per run and per role. Every hop's tokens (from its `hop-end` event,
 * which names the model) are added up, priced by model, and the first limit reached is reported once,
 * so the run stops feeding (tasks in flight finish) or is cancelled, and its summary says which limit
 * it was.
 *
 * Where you are: `driver/`. The run (pipeline/run-pipeline.ts) feeds this from the run's events, local
 * and remote alike, and tells the driver to stop feeding. Prices are in any currency per million
 * tokens; a model without a price costs nothing and is named once in the report.
 */
import { ConfigError } from "../errors.js";
import type { HopEndEvent } from "../schema/event.js";

/** Currency per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

export interface Limits {
  /** Prompt + completion tokens. */
  tokens?: number;
  /** Cost, in the currency of the prices. */
  cost?: number;
}

export interface BudgetOptions extends Limits {
  /** Limits of single roles, e.g. `{ judge: { tokens: 100_000 } }`. */
  roles?: Record<string, Limits>;
  /** Prices by model name. @default the LLM pool's `prices` */
  prices?: Record<string, ModelPrice>;
  /** `finish`: stop feeding and let the tasks in flight finish; `cancel`: cancel the run. @default "finish" */
  onLimit?: "finish" | "cancel";
}

export interface Spend {
  tokens: number;
  cost: number;
}

/** What `summary.budget` holds. */
export interface BudgetReport {
  /** The limit reached first, e.g. `run.tokens` or `roles.judge.cost`; absent when none was. */
  limit?: string;
  /** Its value. */
  limitValue?: number;
  /** What the run (and each role) had spent when the limit was reached, and at the end. */
  atLimit?: Spend;
  spent: Spend & { byRole: Record<string, Spend> };
  onLimit: "finish" | "cancel";
  /** Models that had no price (counted as free). */
  unpriced?: string[];
}

function checkLimits(where: string, limits: Limits): void {
  for (const key of ["tokens", "cost"] as const) {
    const value = limits[key];
    if (value !== undefined && !(typeof value === "number" && value >= 0))
      throw new ConfigError(`${where}.${key}`, `expected a non-negative number, got ${JSON.stringify(value)}`);
  }
}

export class BudgetTracker {
  private readonly spent: Spend = { tokens: 0, cost: 0 };
  private readonly byRole: Record<string, Spend> = {};
  private readonly unpriced = new Set<string>();
  private hit: { limit: string; value: number; atLimit: Spend } | undefined;
  readonly onLimit: "finish" | "cancel";

  constructor(
    private readonly options: BudgetOptions,
    private readonly prices: Record<string, ModelPrice> = options.prices ?? {},
  ) {
    checkLimits("budget", options);
    for (const [role, limits] of Object.entries(options.roles ?? {})) checkLimits(`budget.roles.${role}`, limits);
    const wantsCost =
      options.cost !== undefined || Object.values(options.roles ?? {}).some((limits) => limits.cost !== undefined);
    if (wantsCost && Object.keys(this.prices).length === 0)
      throw new ConfigError(
        "budget.prices",
        "a cost limit needs prices per model (budget.prices, or the LLM pool's prices)",
      );
    this.onLimit = options.onLimit ?? "finish";
  }

  /** Adds one hop's tokens; returns the limit it reached, the first time one is reached. */
  add(event: Pick<HopEndEvent, "role" | "model" | "promptTokens" | "completionTokens">): string | undefined {
    const tokens = event.promptTokens + event.completionTokens;
    if (tokens === 0) return undefined;
    let cost = 0;
    if (event.model !== undefined) {
      const price = this.prices[event.model];
      if (price) cost = (event.promptTokens * price.input + event.completionTokens * price.output) / 1_000_000;
      else this.unpriced.add(event.model);
    }
    const role = (this.byRole[event.role] ??= { tokens: 0, cost: 0 });
    role.tokens += tokens;
    role.cost += cost;
    this.spent.tokens += tokens;
    this.spent.cost += cost;
    if (this.hit) return undefined;
    const reached = this.reached(event.role, role);
    if (reached) this.hit = { ...reached, atLimit: { ...this.spent } };
    return reached?.limit;
  }

  private reached(roleName: string, role: Spend): { limit: string; value: number } | undefined {
    const { tokens, cost } = this.options;
    if (tokens !== undefined && this.spent.tokens >= tokens) return { limit: "run.tokens", value: tokens };
    if (cost !== undefined && this.spent.cost >= cost) return { limit: "run.cost", value: cost };
    const limits = this.options.roles?.[roleName];
    if (limits?.tokens !== undefined && role.tokens >= limits.tokens)
      return { limit: `roles.${roleName}.tokens`, value: limits.tokens };
    if (limits?.cost !== undefined && role.cost >= limits.cost)
      return { limit: `roles.${roleName}.cost`, value: limits.cost };
    return undefined;
  }

  get reachedLimit(): string | undefined {
    return this.hit?.limit;
  }

  report(): BudgetReport {
    const round = (spend: Spend): Spend => ({ tokens: spend.tokens, cost: Math.round(spend.cost * 1e6) / 1e6 });
    return {
      ...(this.hit ? { limit: this.hit.limit, limitValue: this.hit.value, atLimit: round(this.hit.atLimit) } : {}),
      spent: {
        ...round(this.spent),
        byRole: Object.fromEntries(Object.entries(this.byRole).map(([role, spend]) => [role, round(spend)])),
      },
      onLimit: this.onLimit,
      ...(this.unpriced.size > 0 ? { unpriced: [...this.unpriced] } : {}),
    };
  }
}
