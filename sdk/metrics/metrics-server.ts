/**
 * `GET /metrics` over HTTP: what Prometheus scrapes on a driver (`run({ metricsPort })`,
 * `matrix run --metrics-port`) and on a worker (`matrix worker --metrics-port`).
 *
 * Where you are: `metrics/`. node:http is enough for one read-only route; the text itself is
 * prom-client's. Port 0 picks a free port (tests); the bound URL is returned. Other paths answer 404.
 */
import { createServer, type Server } from "node:http";
import { ConfigError } from "../errors.js";
import type { LiveMetrics } from "./live-metrics.js";

export interface MetricsServerOptions {
  port: number;
  /** Interface to listen on; `0.0.0.0` lets a Prometheus on another machine scrape. @default "127.0.0.1" */
  host?: string;
}

export interface MetricsServer {
  readonly port: number;
  /** `http://host:port/metrics` */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Endpoints this process serves, by `host:port`: a second run asking for the same port (a notebook
 * re-running a cell) gets the endpoint already there, which serves every run of the process.
 */
const servers = new Map<string, { server: MetricsServer; metrics: LiveMetrics }>();

/**
 * Serves `metrics` on `host:port` until `close()`; the endpoint never keeps the process alive. Asking
 * again for a port this process already serves with the same metrics returns that endpoint.
 */
export async function serveMetrics(metrics: LiveMetrics, options: MetricsServerOptions): Promise<MetricsServer> {
  const host = options.host ?? "127.0.0.1";
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65_535)
    throw new ConfigError("metricsPort", `expected a port number (0-65535), got ${options.port}`);
  const existing = options.port === 0 ? undefined : servers.get(`${host}:${options.port}`);
  if (existing) {
    if (existing.metrics === metrics) return existing.server;
    throw new ConfigError("metricsPort", `port ${options.port} already serves other metrics in this process`);
  }
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method !== "GET" || (path !== "/metrics" && path !== "/")) {
      response.writeHead(404, { "content-type": "text/plain" }).end("not found: try GET /metrics\n");
      return;
    }
    metrics.text().then(
      (text) => response.writeHead(200, { "content-type": metrics.registry.contentType }).end(text),
      (error: unknown) =>
        response.writeHead(500, { "content-type": "text/plain" }).end(`${(error as Error)?.message ?? error}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (error: NodeJS.ErrnoException) =>
      reject(
        new ConfigError(
          "metricsPort",
          error.code === "EADDRINUSE"
            ? `port ${options.port} on ${host} is in use; pick another (or 0 for any free port)`
            : `cannot listen on ${host}:${options.port}: ${error.message}`,
          { cause: error },
        ),
      ),
    );
    server.listen(options.port, host, () => resolve());
  });
  // A metrics endpoint must never keep a finished script alive: neither the listener nor the
  // connections Prometheus keeps open between scrapes (its 5 s interval renews node's 5 s keep-alive
  // timeout forever, so a driver scraped while it ran would never exit).
  server.unref();
  server.on("connection", (socket) => socket.unref());
  const port = (server.address() as { port: number }).port;
  const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
  let closing: Promise<void> | undefined;
  const key = `${host}:${port}`;
  const handle: MetricsServer = {
    port,
    url: `http://${shown.includes(":") ? `[${shown}]` : shown}:${port}/metrics`,
    close: () => {
      servers.delete(key);
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
  servers.set(key, { server: handle, metrics });
  return handle;
}

/** Closes every endpoint this process serves (tests, or a notebook freeing its port). */
export async function closeMetricsServers(): Promise<void> {
  await Promise.all([...servers.values()].map(({ server }) => server.close()));
}
