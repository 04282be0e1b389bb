/**
 * `matrix cluster up [--workers N] [--dir D] [--port P]` starts, on this machine, nats-server with
 * JetStream (file storage under D), an inference simulator and N workers, records their pids in
 * D/cluster.json, and returns once every worker has registered its heartbeat. `matrix cluster down
 * [--dir D]` stops exactly those processes (workers first, with SIGTERM so they drain), never anything
 * found by name.
 *
 * Where you are: `cli/`, loaded only when `matrix cluster` runs (flags in program.ts). For many
 * machines, see `matrix deploy` (SLURM, Kubernetes).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect as tcpConnect, createServer } from "node:net";
import { join, resolve } from "node:path";
import { ConfigError } from "../errors.js";
import type { CliIo } from "./cli-io.js";
import type { ClusterDownFlags, ClusterUpFlags } from "./program.js";
import {
  PROMETHEUS_MISSING,
  prometheusArgs,
  prometheusBinary,
  prometheusConfig,
  type ScrapeTarget,
} from "./prometheus-process.js";

export interface ClusterState {
  dir: string;
  natsUrl: string;
  storeDir: string;
  llmUrl: string;
  started: number;
  processes: Array<{ name: string; pid: number; command: string }>;
  /** With --monitoring: each worker's /metrics, and the Prometheus scraping them (when installed). */
  metrics?: Array<{ worker: string; url: string }>;
  prometheusUrl?: string;
  /** With --monitoring: where Prometheus expects a driver (`matrix run ... --metrics-port <port>`). */
  driverMetricsUrl?: string;
}

function natsBinary(env: NodeJS.ProcessEnv): string {
  const candidates = [
    env.NATS_SERVER_BIN,
    "/usr/sbin/nats-server",
    "/usr/bin/nats-server",
    "/usr/local/bin/nats-server",
  ];
  const found = candidates.find((path): path is string => !!path && existsSync(path));
  if (!found)
    throw new ConfigError(
      "NATS_SERVER_BIN",
      "nats-server not found: apt-get install nats-server, or set NATS_SERVER_BIN",
    );
  return found;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolvePort(port));
    });
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((done) => {
      const socket = tcpConnect(port, "127.0.0.1");
      socket.once("connect", () => (socket.destroy(), done(true)));
      socket.once("error", () => done(false));
    });
    if (open) return;
    if (Date.now() > deadline)
      throw new ConfigError("--port", `nothing listened on port ${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Whether `pid` is still the process we started (pids are reused): its command line must match. */
function ours(pid: number, command: string): boolean {
  if (!alive(pid)) return false;
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(command);
  } catch {
    return true; // no /proc (macOS): trust the recorded pid
  }
}

function startDetached(name: string, file: string, args: string[], logDir: string, env: NodeJS.ProcessEnv) {
  const log = openSync(join(logDir, `${name}.log`), "a");
  const child = spawn(file, args, { detached: true, stdio: ["ignore", log, log], env });
  child.unref();
  if (child.pid === undefined) throw new ConfigError(name, `could not start ${file}`);
  // The pid check in `down` matches the command line: the store dir for NATS, the script for node.
  return {
    entry: { name, pid: child.pid, command: file === process.execPath ? args[0]! : args[args.length - 1]! },
    child,
  };
}

/**
 * Registers the cluster's simulator in the endpoint registry, then returns once every started worker
 * has written its first heartbeat, so `up` reports a cluster that
 * is really up and `matrix status` right after it lists every worker. Worker start-up time varies a
 * lot (a cold compile cache, a loaded machine) and the workers start in parallel, so their order is
 * not known: this waits on each one's heartbeat, not on a guess. A worker that exits first fails
 * `up` at once, naming its log.
 */
async function waitForWorkers(
  natsUrl: string,
  workers: Array<{ name: string; id: string; child: ChildProcess }>,
  logDir: string,
  timeoutMs: number,
  simulatorUrl: string,
): Promise<void> {
  const { connectNats, natsConnectionOptions, WorkerRegistry, registerEndpoint } = await import("../bus/nats/index.js");
  const connection = await connectNats(natsConnectionOptions({ servers: natsUrl, name: "matrix-cluster-up" }, {}));
  // Registered once here too, so it is there when `up` returns; the endpoint process keeps it fresh.
  await registerEndpoint(connection, { url: simulatorUrl, kind: "simulator" }).catch(async (error: unknown) => {
    await connection.close();
    throw error;
  });
  if (workers.length === 0) return void (await connection.close());
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new ConfigError("--workers", `the workers did not register within ${timeoutMs / 1000} s; see ${logDir}`),
      ),
    timeoutMs,
  );
  const detach = workers.map(({ name, child }) => {
    const onExit = (code: number | null, signal: string | null) =>
      controller.abort(
        new ConfigError(
          name,
          `${name} exited (${code ?? signal}) before it registered; see ${join(logDir, `${name}.log`)}`,
        ),
      );
    // A worker that failed fast may have exited before this listener exists: check its state too.
    if (child.exitCode !== null || child.signalCode !== null) onExit(child.exitCode, child.signalCode);
    else child.once("exit", onExit);
    return () => child.off("exit", onExit);
  });
  try {
    const registry = await WorkerRegistry.open(connection);
    await registry.waitFor(
      workers.map((worker) => worker.id),
      controller.signal,
    );
  } finally {
    clearTimeout(timer);
    for (const off of detach) off();
    await connection.close();
  }
}

export async function up(flags: ClusterUpFlags, io: CliIo): Promise<number> {
  const dir = resolve(flags.dir);
  const stateFile = join(dir, "cluster.json");
  if (existsSync(stateFile)) {
    const state = JSON.parse(readFileSync(stateFile, "utf8")) as ClusterState;
    if (state.processes.some((p) => ours(p.pid, p.command)))
      throw new ConfigError(
        "--dir",
        `a cluster is already running from ${dir}; run 'matrix cluster down --dir ${dir}' first`,
      );
  }
  const workers = flags.workers;
  const storeDir = join(dir, "nats");
  const logDir = join(dir, "logs");
  mkdirSync(storeDir, { recursive: true });
  mkdirSync(logDir, { recursive: true });
  const port = flags.port || (await freePort());
  const simPort = flags.simPort || (await freePort());
  const home = io.env.MATRIX_HOME ?? process.cwd();
  const matrixBin = join(home, "bin", "matrix.js");
  const env = { ...io.env, MATRIX_HOME: home };
  const processes: ClusterState["processes"] = [];
  const metrics: NonNullable<ClusterState["metrics"]> = [];
  let prometheusUrl: string | undefined;
  // A driver started later with `--metrics-port <this>` is scraped too (tasks by status, end-to-end latency).
  const driverPort = flags.monitoring ? flags.driverMetricsPort || (await freePort()) : undefined;
  const state = (): ClusterState => ({
    dir,
    natsUrl: `nats://127.0.0.1:${port}`,
    storeDir,
    llmUrl: `http://127.0.0.1:${simPort}/v1`,
    started: Date.now(),
    processes,
    ...(metrics.length > 0 ? { metrics } : {}),
    ...(prometheusUrl ? { prometheusUrl } : {}),
    ...(driverPort ? { driverMetricsUrl: `http://127.0.0.1:${driverPort}/metrics` } : {}),
  });
  // Record pids as they start, so `down` can clean up even when `up` fails half-way.
  const save = () => writeFileSync(stateFile, `${JSON.stringify(state(), null, 2)}\n`);
  processes.push(
    startDetached(
      "nats",
      natsBinary(io.env),
      ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", storeDir],
      logDir,
      env,
    ).entry,
  );
  save();
  await waitForPort(port, 15_000);
  processes.push(
    startDetached(
      "simulator",
      process.execPath,
      [matrixBin, "sim", "--port", String(simPort), "--host", "127.0.0.1", "--speed", String(flags.simSpeed)],
      logDir,
      env,
    ).entry,
  );
  save();
  await waitForPort(simPort, 30_000);
  // The simulator is announced in the endpoint registry (refreshed by a small process while the cluster
  // is up), so a run started here without --llm uses it: runs carry their LLM choice to the workers.
  processes.push(
    startDetached(
      "endpoint",
      process.execPath,
      [
        matrixBin,
        "endpoint",
        "register",
        "--nats",
        state().natsUrl,
        "--url",
        state().llmUrl,
        "--kind",
        "simulator",
        "--keep",
      ],
      logDir,
      env,
    ).entry,
  );
  save();
  const started: Array<{ name: string; id: string; child: ChildProcess }> = [];
  for (let i = 1; i <= workers; i++) {
    const id = `local-${i}`;
    const metricsArgs: string[] = [];
    if (flags.monitoring) {
      const metricsPort = await freePort();
      metricsArgs.push("--metrics-port", String(metricsPort));
      metrics.push({ worker: id, url: `http://127.0.0.1:${metricsPort}/metrics` });
    }
    const { entry, child } = startDetached(
      `worker-${i}`,
      process.execPath,
      [matrixBin, "worker", "--nats", state().natsUrl, ...metricsArgs, "--id", id],
      logDir,
      env,
    );
    processes.push(entry);
    started.push({ name: entry.name, id, child });
  }
  save();
  await waitForWorkers(state().natsUrl, started, logDir, 90_000, state().llmUrl);
  let monitoring = "";
  if (flags.monitoring) {
    const binary = prometheusBinary(io.env);
    if (binary === undefined) {
      io.stderr(`matrix cluster up: ${PROMETHEUS_MISSING}\n`);
      monitoring = `  metrics    ${metrics.map((m) => m.url).join(" ")}   (no Prometheus: not installed)\n`;
    } else {
      const prometheusPort = flags.prometheusPort || (await freePort());
      const targets: ScrapeTarget[] = metrics.map((m) => ({
        address: new URL(m.url).host,
        name: m.worker,
        job: "matrix-worker",
      }));
      targets.push({ address: `127.0.0.1:${driverPort}`, name: "driver", job: "matrix-driver" });
      const configFile = join(dir, "prometheus.yml");
      writeFileSync(configFile, prometheusConfig(targets));
      processes.push(
        startDetached(
          "prometheus",
          binary,
          prometheusArgs({ configFile, dataDir: join(dir, "prometheus"), port: prometheusPort }),
          logDir,
          env,
        ).entry,
      );
      prometheusUrl = `http://127.0.0.1:${prometheusPort}`;
      save();
      await waitForPort(prometheusPort, 30_000);
      monitoring =
        `  Prometheus ${prometheusUrl}   (scraping ${metrics.length} workers and a driver on port ${driverPort} every 5 s: ${configFile})\n` +
        `  Grafana    import deploy/grafana/matrix-dashboard.json (datasource: ${prometheusUrl})\n`;
    }
  }
  const s = state();
  io.stdout(
    `Cluster up (state: ${stateFile})\n` +
      `  NATS       ${s.natsUrl}   (JetStream file storage: ${storeDir})\n` +
      `  simulator  ${s.llmUrl}\n` +
      `  workers    ${workers} registered   (logs: ${logDir})\n` +
      monitoring +
      "\n" +
      `  matrix run quickstart --bus nats --nats ${s.natsUrl}${driverPort && prometheusUrl ? ` --metrics-port ${driverPort}` : ""}\n` +
      `  matrix status --nats ${s.natsUrl}\n` +
      `  matrix cluster down --dir ${dir}\n`,
  );
  return 0;
}

export async function down(flags: ClusterDownFlags, io: CliIo): Promise<number> {
  const dir = resolve(flags.dir);
  const stateFile = join(dir, "cluster.json");
  if (!existsSync(stateFile))
    throw new ConfigError("--dir", `no cluster recorded in ${dir} (start one with 'matrix cluster up --dir ${dir}')`);
  const state = JSON.parse(readFileSync(stateFile, "utf8")) as ClusterState;
  // Workers first (they drain while NATS is still up), then the simulator, then NATS.
  const order = [...state.processes].sort((a, b) => rank(a.name) - rank(b.name));
  for (const group of [0, 1, 2]) {
    const batch = order.filter((p) => rank(p.name) === group && ours(p.pid, p.command));
    for (const p of batch) process.kill(p.pid, "SIGTERM");
    const deadline = Date.now() + 15_000;
    while (batch.some((p) => alive(p.pid)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    for (const p of batch) if (alive(p.pid)) process.kill(p.pid, "SIGKILL");
    for (const p of batch) io.stdout(`stopped ${p.name} (pid ${p.pid})\n`);
  }
  rmSync(stateFile, { force: true });
  io.stdout(`Cluster down. JetStream data kept in ${state.storeDir}\n`);
  return 0;
}

function rank(name: string): number {
  return name.startsWith("worker") ? 0 : name === "simulator" || name === "endpoint" ? 1 : 2;
}
