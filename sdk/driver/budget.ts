/**
 * Budgets: token and cost limits per run and per role. Every hop's tokens (from its `hop-end` event,
 * which names the model) are added up, priced by model, and the first limit reached is reported once,
 * so the run stops feeding (tasks in flight finish) or is cancelled, and its summary says which limit
 * it was.
 *
 * Where you are: `driver/`. The run (pipeline/run-pipeline.ts) feeds this from the run's events, local
 * and remote alike, and tells the driver to stop feeding. Prices are in any currency per million
 * tokens; a model without a price costs nothing and is named once in the report.
 *
 * Hop events are the early count; a task's own usage, when it reaches the sink, is the exact one. On
 * NATS hop events travel apart from the tasks (batched, over core NATS: not stored), so some arrive
 * after their task and a few may never arrive. `settle(task)` therefore adds whatever the task spent
 * beyond its hop events, and later events of a settled task are ignored. The driver settles a task
 * before it frees the task's slot, so no task is fed past a limit the finished tasks reached; the
 * overshoot stays within what the tasks in flight spend.
 */
import { ConfigError } from "../errors.js";
import type { HopEndEvent } from "../schema/event.js";
import type { Task } from "../schema/task.js";

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

/** What the hop events of one task in flight reported for one role. */
interface Counted {
  prompt: number;
  completion: number;
  model?: string;
}

export class BudgetTracker {
  private readonly spent: Spend = { tokens: 0, cost: 0 };
  private readonly byRole: Record<string, Spend> = {};
  private readonly unpriced = new Set<string>();
  /** Tasks in flight: their hop events' tokens by role (what `settle` reconciles). */
  private readonly counted = new Map<string, Record<string, Counted>>();
  /** Tasks settled at the sink: their late hop events are already in their usage. One id per task. */
  private readonly settled = new Set<string>();
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
  add(
    event: Pick<HopEndEvent, "role" | "model" | "promptTokens" | "completionTokens"> & { taskId?: string },
  ): string | undefined {
    if (event.taskId !== undefined) {
      if (this.settled.has(event.taskId)) return undefined;
      let roles = this.counted.get(event.taskId);
      if (roles === undefined) this.counted.set(event.taskId, (roles = {}));
      const counted = (roles[event.role] ??= { prompt: 0, completion: 0 });
      counted.prompt += event.promptTokens;
      counted.completion += event.completionTokens;
      if (event.model !== undefined) counted.model = event.model;
    }
    return this.charge(event.role, event.model, event.promptTokens, event.completionTokens);
  }

  /**
   * A task reached the sink: adds what its usage holds beyond its hop events (events still on their
   * way, or lost), priced with the model its events or turns name, else `modelOf(role)`. Returns the
   * limit reached, the first time one is.
   */
  settle(task: Task, modelOf: (role: string) => string | undefined = () => undefined): string | undefined {
    const counted = this.counted.get(task.id) ?? {};
    this.counted.delete(task.id);
    this.settled.add(task.id);
    let reached: string | undefined;
    for (const [role, usage] of Object.entries(task.usage)) {
      const seen = counted[role];
      const prompt = Math.max(0, usage.promptTokens - (seen?.prompt ?? 0));
      const completion = Math.max(0, usage.completionTokens - (seen?.completion ?? 0));
      if (prompt + completion === 0) continue;
      const model =
        seen?.model ?? task.history.findLast((turn) => turn.role === role && turn.model)?.model ?? modelOf(role);
      reached = this.charge(role, model, prompt, completion) ?? reached;
    }
    return reached;
  }

  /** A settled task runs again (a retried dead letter, same id): what its usage holds was counted. */
  reopen(task: Task): void {
    this.settled.delete(task.id);
    this.counted.set(
      task.id,
      Object.fromEntries(
        Object.entries(task.usage).map(([role, usage]) => [
          role,
          { prompt: usage.promptTokens, completion: usage.completionTokens },
        ]),
      ),
    );
  }

  private charge(roleName: string, model: string | undefined, prompt: number, completion: number): string | undefined {
    const tokens = prompt + completion;
    if (tokens === 0) return undefined;
    let cost = 0;
    if (model !== undefined) {
      const price = this.prices[model];
      if (price) cost = (prompt * price.input + completion * price.output) / 1_000_000;
      else this.unpriced.add(model);
    }
    const role = (this.byRole[roleName] ??= { tokens: 0, cost: 0 });
    role.tokens += tokens;
    role.cost += cost;
    this.spent.tokens += tokens;
    this.spent.cost += cost;
    if (this.hit) return undefined;
    const reached = this.reached(roleName, role);
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
