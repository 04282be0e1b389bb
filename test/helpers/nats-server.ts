/**
 * A real nats-server for integration tests: JetStream on a free loopback port with a temp store dir.
 * `restart()` brings it back on the same port and store (file storage must keep every task).
 *
 * Tests that need the binary fail in CI (CI=true) and skip with a clear message elsewhere.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, it } from "vitest";
import { connectNats } from "../../sdk/bus/nats/connect-nats.js";

const CANDIDATES = [
  process.env.NATS_SERVER_BIN,
  "/usr/sbin/nats-server",
  "/usr/bin/nats-server",
  "/usr/local/bin/nats-server",
];
export const natsServerBinary = CANDIDATES.find((path): path is string => !!path && existsSync(path));

/** `describe` for suites needing nats-server: skipped with a message when it is missing (failed in CI). */
export function describeWithNats(name: string, body: () => void): void {
  if (natsServerBinary) {
    describe(name, body);
  } else if (process.env.CI === "true") {
    describe(name, () =>
      it("needs nats-server", () => {
        throw new Error("nats-server is not installed (apt-get install nats-server); CI must run these tests.");
      }),
    );
  } else {
    describe.skip(`${name} — skipped: nats-server not found (apt-get install nats-server)`, body);
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface NatsServerHandle {
  url: string;
  port: number;
  storeDir: string;
  readonly pid: number | undefined;
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** Stops the server and removes its store. */
  dispose(): Promise<void>;
}

export interface NatsServerOptions {
  /** Extra arguments, e.g. `["--user", "u", "--pass", "p"]`. */
  args?: string[];
}

function launch(port: number, storeDir: string, args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(natsServerBinary!, ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", storeDir, ...args], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let log = "";
    // A server that never says it is ready is stopped, not left running with its store.
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`nats-server did not start within 60 s:\n${log}`));
    }, 60_000);
    child.stderr!.on("data", (chunk: Buffer) => {
      log += chunk.toString();
      if (log.includes("Server is ready")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code}:\n${log}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

export async function startNatsServer(options: NatsServerOptions = {}): Promise<NatsServerHandle> {
  const port = await freePort();
  const storeDir = mkdtempSync(join(tmpdir(), "matrix-nats-"));
  const args = options.args ?? [];
  let child: ChildProcess | undefined = await launch(port, storeDir, args).catch((error: unknown) => {
    rmSync(storeDir, { recursive: true, force: true });
    throw error;
  });
  const stop = async (): Promise<void> => {
    if (!child) return;
    const current = child;
    child = undefined;
    current.kill("SIGTERM");
    await exited(current);
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    get pid() {
      return child?.pid;
    },
    stop,
    restart: async () => {
      await stop();
      child = await launch(port, storeDir, args);
    },
    dispose: async () => {
      await stop();
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}

/**
 * A server and one connection to it for the tests of the enclosing describe: started before them,
 * closed and removed after. Read `nc` inside tests or later hooks (it is set by then).
 */
export function natsConnectionForSuite(): { readonly nc: NatsConnection } {
  let server: NatsServerHandle | undefined;
  let nc: NatsConnection | undefined;
  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats({ servers: [server.url] });
  });
  afterAll(async () => {
    await nc?.close();
    await server?.dispose();
  });
  return {
    get nc() {
      if (!nc) throw new Error("natsConnectionForSuite: the connection is not open (read it inside a test)");
      return nc;
    },
  };
}
