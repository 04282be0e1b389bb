/**
 * `GET /metrics` never keeps a finished process alive, even while Prometheus holds a keep-alive
 * connection and scrapes it more often than node's keep-alive timeout (a `matrix run --metrics-port`
 * scraped by `cluster up --monitoring` used to hang after its summary).
 */
import { spawn } from "node:child_process";
import { Agent, get } from "node:http";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";

describe("the metrics endpoint", () => {
  it("lets a finished process exit while a scraper keeps its connection open", async () => {
    const dir = tempDir();
    const script = join(dir, "serve.mts");
    const metrics = resolve("sdk/metrics/index.ts");
    // Serves, says where, and stays busy until told to finish (its own work done, only the endpoint left).
    writeFileSync(
      script,
      `import { LiveMetrics, serveMetrics } from ${JSON.stringify(metrics)};
const server = await serveMetrics(new LiveMetrics(), { port: 0 });
const busy = setInterval(() => {}, 1000);
process.stdin.once("data", () => clearInterval(busy));
process.stdout.write(server.url + "\\n");
`,
    );
    const child = spawn(process.execPath, ["--import", "tsx", script], { stdio: ["pipe", "pipe", "inherit"] });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const url = await new Promise<string>((resolve) =>
      child.stdout!.once("data", (chunk: Buffer) => resolve(chunk.toString().trim())),
    );
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const scrape = () =>
      new Promise<string>((resolve, reject) =>
        get(url, { agent }, (response) => {
          let body = "";
          response.on("data", (chunk: Buffer) => (body += chunk.toString()));
          response.on("end", () => resolve(body));
        }).on("error", reject),
      );
    let done = false;
    void exited.then(() => (done = true));
    try {
      expect(await scrape()).toContain("process_cpu_seconds_total");
      // The process's work ends; the scraper goes on, on the same connection, every 200 ms.
      child.stdin!.end("finish\n");
      while (!done) {
        await scrape().catch(() => "");
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(await exited).toBe(0);
    } finally {
      agent.destroy();
      if (!done) child.kill("SIGKILL");
    }
  });
});
