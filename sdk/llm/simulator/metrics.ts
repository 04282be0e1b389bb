/**
 * The simulator's Prometheus metrics, named like vLLM's so dashboards and autoscalers built for vLLM read
 * them unchanged.
 *
 * Where you are: `llm/simulator/`. Written as plain exposition text rather than through prom-client: the
 * set is small and fixed, and a private implementation keeps the per-request cost to a few additions.
 * Latencies are observed in modelled real time (virtual seconds / speed), so they are what the latency
 * model predicts, free of timer jitter; `time_per_output_token` is observed once per request (its mean).
 */

/** vLLM's buckets for these histograms (seconds). */
const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];
const TPOT_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80];
const E2E_BUCKETS = [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680];

export class Histogram {
  private readonly counts: number[];
  private sum = 0;
  private count = 0;

  constructor(private readonly buckets: number[]) {
    this.counts = new Array<number>(buckets.length).fill(0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    for (let index = 0; index < this.buckets.length; index++) {
      if (value <= this.buckets[index]!) this.counts[index]!++;
    }
  }

  render(name: string, help: string, labels: string): string {
    const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
    this.buckets.forEach((bound, index) => lines.push(`${name}_bucket{${labels},le="${bound}"} ${this.counts[index]}`));
    lines.push(`${name}_bucket{${labels},le="+Inf"} ${this.count}`);
    lines.push(`${name}_sum{${labels}} ${this.sum}`, `${name}_count{${labels}} ${this.count}`);
    return lines.join("\n");
  }
}

/** What the metrics read from the scheduler at scrape time. */
export interface LiveGauges {
  running: number;
  waiting: number;
  kvUsedTokens: number;
  kvCapacityTokens: number;
  promptTokens: number;
  generatedTokens: number;
}

export class SimulatorMetrics {
  readonly ttft = new Histogram(TTFT_BUCKETS);
  readonly tpot = new Histogram(TPOT_BUCKETS);
  readonly e2e = new Histogram(E2E_BUCKETS);
  /** Finished requests by finish reason (`stop`, `length`, `tool_calls`, `abort`). */
  readonly finished = new Map<string, number>();
  /** Injected faults by kind. */
  readonly faults = new Map<string, number>();
  /** Requests rejected as invalid (4xx). */
  invalidRequests = 0;

  constructor(private readonly modelName: string) {}

  /** Records one finished request; times are in real seconds as the model predicts them. */
  observeRequest(finishReason: string, ttftSeconds: number, e2eSeconds: number, outputTokens: number): void {
    this.finished.set(finishReason, (this.finished.get(finishReason) ?? 0) + 1);
    this.ttft.observe(ttftSeconds);
    this.e2e.observe(e2eSeconds);
    if (outputTokens > 1) this.tpot.observe((e2eSeconds - ttftSeconds) / (outputTokens - 1));
  }

  countFault(kind: string): void {
    this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1);
  }

  /** The Prometheus text exposition (format 0.0.4). */
  render(live: LiveGauges): string {
    const labels = `model_name="${this.modelName.replace(/["\\\n]/g, "_")}"`;
    const gauge = (name: string, help: string, value: number, type = "gauge") =>
      `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n${name}{${labels}} ${value}`;
    const byLabel = (name: string, help: string, label: string, values: Map<string, number>) =>
      [
        `# HELP ${name} ${help}`,
        `# TYPE ${name} counter`,
        ...[...values].map(([key, value]) => `${name}{${labels},${label}="${key}"} ${value}`),
      ].join("\n");
    return (
      [
        gauge("vllm:num_requests_running", "Number of requests in the model execution batch.", live.running),
        gauge("vllm:num_requests_waiting", "Number of requests waiting to be processed.", live.waiting),
        gauge(
          "vllm:kv_cache_usage_perc",
          "KV-cache usage (reserved tokens / capacity), 1 means full.",
          live.kvUsedTokens / live.kvCapacityTokens,
        ),
        gauge("vllm:prompt_tokens_total", "Number of prefill tokens processed.", live.promptTokens, "counter"),
        gauge(
          "vllm:generation_tokens_total",
          "Number of generation tokens processed.",
          live.generatedTokens,
          "counter",
        ),
        byLabel("vllm:request_success_total", "Count of finished requests.", "finished_reason", this.finished),
        this.ttft.render("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", labels),
        this.tpot.render(
          "vllm:time_per_output_token_seconds",
          "Histogram of time per output token in seconds.",
          labels,
        ),
        this.e2e.render(
          "vllm:e2e_request_latency_seconds",
          "Histogram of end to end request latency in seconds.",
          labels,
        ),
        byLabel("sim:faults_injected_total", "Faults the simulator injected, by kind.", "kind", this.faults),
        gauge("sim:invalid_requests_total", "Requests rejected with a 4xx error.", this.invalidRequests, "counter"),
      ].join("\n") + "\n"
    );
  }
}
