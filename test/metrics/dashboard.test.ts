/**
 * The Grafana dashboard (deploy/grafana/matrix-dashboard.json) queries only metric names the code
 * exports: every panel query and template variable is parsed with Prometheus's own PromQL grammar
 * (@prometheus-io/lezer-promql, what Prometheus's web UI uses), a syntax error fails, and every
 * series selector names one of LiveMetrics' families (a histogram's `_bucket`/`_sum`/`_count` series
 * included) or a process metric; the families of the issue's list all have a panel.
 * (metrics-over-nats.test.ts also runs every query against a real Prometheus after a run.)
 */
import { readFileSync } from "node:fs";
import { parser } from "@prometheus-io/lezer-promql";
import { describe, expect, it } from "vitest";
import { LiveMetrics } from "../../sdk/metrics/index.js";

const dashboard = JSON.parse(readFileSync("deploy/grafana/matrix-dashboard.json", "utf8")) as {
  panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }>; panels?: unknown[] }>;
  templating: { list: Array<{ name: string; type: string; query?: string | { query: string } }> };
};

/** The metric names an expression's series selectors use; throws on a syntax error, naming where. */
function seriesNames(expr: string): string[] {
  const names: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError)
        throw new SyntaxError(`PromQL syntax error at ${node.from}: ...${expr.slice(node.from, node.from + 20)}`);
      if (node.name !== "VectorSelector") return;
      const identifier = node.node.getChild("Identifier");
      if (identifier) names.push(expr.slice(identifier.from, identifier.to));
      // `{__name__="x"}` names a series too.
      for (const matcher of node.node.getChild("LabelMatchers")?.getChildren("UnquotedLabelMatcher") ?? []) {
        const label = matcher.getChild("LabelName");
        const value = matcher.getChild("StringLiteral");
        if (label && value && expr.slice(label.from, label.to) === "__name__")
          names.push(JSON.parse(expr.slice(value.from, value.to)) as string);
      }
    },
  });
  return names;
}

/** A Grafana template variable's query: `label_values(selector, label)` or plain PromQL. */
function variableExpr(query: string): string {
  return /^label_values\((.*),\s*\w+\)$/.exec(query.trim())?.[1] ?? query;
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
  const queries = [
    ...dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({ where: `panel '${panel.title}'`, expr: target.expr })),
    ),
    ...dashboard.templating.list
      .filter((variable) => variable.type === "query")
      .map((variable) => {
        const query = typeof variable.query === "string" ? variable.query : variable.query!.query;
        return { where: `variable '${variable.name}'`, expr: variableExpr(query) };
      }),
  ];

  it("uses only names the registries export, in valid PromQL", () => {
    expect(queries.length).toBeGreaterThan(20);
    // Panels inside collapsed rows would be missed by the loop above.
    expect(dashboard.panels.filter((panel) => (panel.panels ?? []).length > 0)).toEqual([]);
    const unknown: string[] = [];
    for (const { where, expr } of queries) {
      const names = seriesNames(expr);
      expect(names.length, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) {
        const base = name.replace(/_(bucket|sum|count)$/, "");
        if (!exported.has(name) && !(histograms.has(base) && base !== name)) unknown.push(`${where}: ${name}`);
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

  it("catches a name the code does not export, and a query that does not parse", () => {
    expect(seriesNames('sum by (role) (rate(matrix_hops_total{run=~"$run"}[1m]))')).toEqual(["matrix_hops_total"]);
    expect(exported.has("matrix_hops_total")).toBe(false);
    expect(seriesNames('count({__name__="matrix_hops_total"}) offset 5m')).toEqual(["matrix_hops_total"]);
    expect(() => seriesNames("sum(rate(matrix_queue_depth[1m])")).toThrow(SyntaxError);
    expect(variableExpr("label_values(matrix_run_info, run)")).toBe("matrix_run_info");
  });
});
