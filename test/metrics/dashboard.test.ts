/**
 * The Grafana dashboard (deploy/grafana/matrix-dashboard.json) queries only metric names the code
 * exports: every name in every panel query is one of LiveMetrics' families (or a histogram's
 * `_bucket`/`_sum`/`_count` series) or a process metric, and the families the operations guide names
 * all have a panel.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LiveMetrics } from "../../sdk/metrics/index.js";

const dashboard = JSON.parse(readFileSync("deploy/grafana/matrix-dashboard.json", "utf8")) as {
  panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }>;
};

/** Identifiers in a PromQL expression that name series: everything outside braces, quotes and by/without lists that is not a function or keyword. */
function seriesNames(expr: string): string[] {
  const stripped = expr
    .replace(/"[^"]*"/g, '""')
    .replace(/\{[^}]*\}/g, "{}")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, "")
    .replace(/\[[^\]]*\]/g, "[]");
  const keywords = new Set([
    "sum",
    "max",
    "min",
    "avg",
    "count",
    "rate",
    "increase",
    "irate",
    "histogram_quantile",
    "topk",
    "and",
    "or",
    "unless",
    "le",
  ]);
  return [...stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)].map((m) => m[0]).filter((name) => !keywords.has(name));
}

describe("Grafana dashboard", () => {
  const metrics = new LiveMetrics();
  const exported = new Set(metrics.names());
  const histograms = new Set(
    [...metrics.registry.getMetricsAsArray()]
      .filter((m) => String((m as unknown as { type?: string }).type) === "histogram")
      .map((m) => m.name),
  );
  metrics.close();
  const queries = dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr })),
  );

  it("uses only names the registries export", () => {
    expect(queries.length).toBeGreaterThan(20);
    const unknown: string[] = [];
    for (const { panel, expr } of queries) {
      const names = seriesNames(expr);
      expect(names.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) {
        const base = name.replace(/_(bucket|sum|count)$/, "");
        if (!exported.has(name) && !(histograms.has(base) && base !== name)) unknown.push(`${panel}: ${name}`);
      }
    }
    expect(unknown).toEqual([]);
  });

  it("has a panel for every family of the issue's list", () => {
    const used = new Set(
      queries.flatMap(({ expr }) => seriesNames(expr).map((name) => name.replace(/_(bucket|sum|count)$/, ""))),
    );
    for (const family of [
      "matrix_messages_received_total",
      "matrix_messages_processed_total",
      "matrix_tasks_started_total",
      "matrix_tasks_finished_total",
      "matrix_task_exceptions_total",
      "matrix_hop_handle_seconds",
      "matrix_hop_dequeue_seconds",
      "matrix_queue_depth",
      "matrix_agent_in_flight",
      "matrix_task_size_bytes",
      "matrix_task_e2e_seconds",
      "matrix_llm_tokens_total",
      "matrix_llm_request_seconds",
      "matrix_llm_ttft_seconds",
      "matrix_llm_endpoint_retries_total",
      "matrix_llm_endpoint_errors_total",
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
      "nodejs_eventloop_lag_p99_seconds",
    ])
      expect(used, family).toContain(family);
  });

  it("catches a name the code does not export", () => {
    expect(seriesNames('sum by (role) (rate(matrix_hops_total{run=~"$run"}[1m]))')).toEqual(["matrix_hops_total"]);
    expect(exported.has("matrix_hops_total")).toBe(false);
  });
});
