/**
 * Prometheus for a local cluster (`matrix cluster up --monitoring`): finds Debian's `prometheus`
 * binary, writes a scrape config for the workers' (and a driver's) `/metrics` endpoints, and the
 * command line that starts it on loopback with its data under the cluster directory.
 *
 * Where you are: `cli/`. The binary comes from `apt-get install prometheus` (2.42 on Debian 12); when it
 * is missing, `prometheusBinary` returns undefined and the caller says how to install it. Scraping is
 * over plain HTTP on loopback, so the config holds no credentials.
 */
import { existsSync } from "node:fs";

/** PROMETHEUS_BIN when set (and there), else where Debian and others put the server. */
export function prometheusBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PROMETHEUS_BIN) return existsSync(env.PROMETHEUS_BIN) ? env.PROMETHEUS_BIN : undefined;
  return ["/usr/bin/prometheus", "/usr/sbin/prometheus", "/usr/local/bin/prometheus"].find((path) => existsSync(path));
}

export const PROMETHEUS_MISSING =
  "Prometheus is not installed (apt-get install prometheus, or set PROMETHEUS_BIN); the cluster runs without it. " +
  "Workers still serve GET /metrics for any Prometheus you point at them.";

export interface ScrapeTarget {
  /** `host:port` of a `/metrics` endpoint. */
  address: string;
  /** Becomes the `instance` label Prometheus adds (a worker id, `driver`). */
  name: string;
  /** Becomes the `job` label. */
  job: "matrix-worker" | "matrix-driver";
}

/** The prometheus.yml scraping `targets` every `intervalSeconds` (YAML written by hand: three levels, no user text but names we choose). */
export function prometheusConfig(targets: readonly ScrapeTarget[], intervalSeconds = 5): string {
  const jobs = new Map<string, ScrapeTarget[]>();
  for (const target of targets) jobs.set(target.job, [...(jobs.get(target.job) ?? []), target]);
  const lines = [
    "global:",
    `  scrape_interval: ${intervalSeconds}s`,
    `  evaluation_interval: ${intervalSeconds}s`,
    "scrape_configs:",
  ];
  for (const [job, members] of jobs) {
    lines.push(`  - job_name: ${JSON.stringify(job)}`, "    metrics_path: /metrics", "    static_configs:");
    for (const member of members)
      lines.push(
        `      - targets: [${JSON.stringify(member.address)}]`,
        `        labels: { instance: ${JSON.stringify(member.name)} }`,
      );
  }
  return `${lines.join("\n")}\n`;
}

/** Arguments for `prometheus`: loopback only, data and config under the cluster directory. */
export function prometheusArgs(options: { configFile: string; dataDir: string; port: number }): string[] {
  // The data dir last: `matrix cluster down` recognises its process by the last argument.
  return [
    `--config.file=${options.configFile}`,
    `--web.listen-address=127.0.0.1:${options.port}`,
    "--storage.tsdb.retention.time=7d",
    `--storage.tsdb.path=${options.dataDir}`,
  ];
}
