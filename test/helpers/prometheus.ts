/**
 * A real Prometheus for integration tests: Debian's binary on a free loopback port with a temp data
 * dir, scraping the given targets every second. Suites needing it fail in CI (CI=true) and skip with a
 * message elsewhere, like nats-server.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  prometheusArgs,
  prometheusBinary,
  prometheusConfig,
  type ScrapeTarget,
} from "../../sdk/cli/prometheus-process.js";
import { freePort } from "./nats-server.js";

export const prometheusPath = prometheusBinary();

export interface PrometheusHandle {
  url: string;
  /** The result vector of an instant query; throws with Prometheus's message when it refuses the query. */
  query(expr: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>>;
  dispose(): Promise<void>;
}

export async function startPrometheus(targets: ScrapeTarget[]): Promise<PrometheusHandle> {
  if (!prometheusPath) throw new Error("prometheus is not installed (apt-get install prometheus)");
  const dir = mkdtempSync(join(tmpdir(), "matrix-prom-"));
  const configFile = join(dir, "prometheus.yml");
  writeFileSync(configFile, prometheusConfig(targets, 1));
  const port = await freePort();
  const child: ChildProcess = spawn(prometheusPath, prometheusArgs({ configFile, dataDir: join(dir, "data"), port }), {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr!.on("data", (chunk: Buffer) => (log += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const dispose = async () => {
    if (child.exitCode === null) child.kill("SIGTERM");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      await dispose();
      throw new Error(`prometheus did not start:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url,
    query: async (expr) => {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await response.json()) as { status: string; error?: string; data?: { result?: [] } };
      if (body.status !== "success") throw new Error(`prometheus refused ${expr}: ${body.error ?? response.status}`);
      return body.data?.result ?? [];
    },
    dispose,
  };
}
