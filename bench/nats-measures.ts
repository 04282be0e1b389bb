/**
 * Measurements of the NATS bus for the benchmarks (bench/nats-bus.ts prints them; bench/suite.ts folds
 * them into summary.json): a nats-server of our own, the raw JetStream rate, matrix hops/s through
 * worker processes, object-store latency, and bytes and hops/s on a long conversation with and without
 * offloading.
 *
 * Where you are: `bench/`. Needs nats-server (apt-get install nats-server, or NATS_SERVER_BIN).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy, StorageType } from "@nats-io/jetstream";
import { Objm } from "@nats-io/obj";
import { connect } from "@nats-io/transport-node";
import { connectNats } from "../sdk/bus/nats/connect-nats.js";
import { JetStreamPublisher } from "../sdk/bus/nats/jetstream-publisher.js";
import { pipeline } from "../sdk/index.js";
import { createNatsBus } from "../sdk/bus/nats/index.js";
import { createLogger } from "../sdk/logger.js";
import { startWorker } from "../sdk/worker/worker.js";

const root = resolve(import.meta.dirname, "..");
const binary = [process.env.NATS_SERVER_BIN, "/usr/sbin/nats-server", "/usr/bin/nats-server"].find(
  (path) => path && existsSync(path),
);
export const natsServerBinary = binary;

const freePort = () =>
  new Promise<number>((done) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => done(port));
    });
  });

/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
export function cpuSecondsOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

export async function startServer(): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "matrix-bench-nats-"));
  if (!binary) throw new Error("nats-server not found (apt-get install nats-server, or set NATS_SERVER_BIN)");
  const child = spawn(binary, ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dir], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  await new Promise<void>((done) => {
    let log = "";
    child.stderr!.on("data", (chunk: Buffer) => {
      log += chunk;
      if (log.includes("Server is ready")) done();
    });
  });
  return {
    url: `nats://127.0.0.1:${port}`,
    pid: child.pid!,
    // The store is removed after the server has exited: it writes to it until then.
    stop: async () => {
      const exited = new Promise((done) => child.once("exit", done));
      if (child.exitCode === null && child.kill("SIGTERM")) await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The raw JetStream rate: publish (256 in flight, each with a message id) + consume + ack of 400-byte
 * messages in one process, nothing else. `hop` publishes through the bus's own publisher (the same
 * path a hop takes, so the ratio of hops to this is the cost of everything else); `client` through
 * the client's `js.publish`, one request per message (the ceiling most JetStream code sees). With
 * the server's pid, also the CPU per message of server and client together: unlike the rate, it
 * hardly depends on what else the machine is doing.
 */
export async function rawRate(
  url: string,
  messages: number,
  publisher: "hop" | "client" = "hop",
  serverPid?: number,
): Promise<{ rate: number; cpuMicrosPerMessage: number }> {
  const nc = await connectNats({ servers: [url] });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name: "RAW",
    subjects: ["raw.>"],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
  });
  await jsm.consumers.add("RAW", { durable_name: "c", ack_policy: AckPolicy.Explicit, max_ack_pending: 10_000 });
  const js = jetstream(nc);
  const hops = new JetStreamPublisher(nc);
  const publish =
    publisher === "hop"
      ? (data: Uint8Array, id: string) => hops.publish("raw.x", data, id, 10_000)
      : (data: Uint8Array, id: string) => js.publish("raw.x", data, { msgID: id }).then(() => undefined);
  const payload = new Uint8Array(400); // about the size of a small task
  const serverBefore = serverPid ? cpuSecondsOf(serverPid) : Number.NaN;
  const clientBefore = process.cpuUsage();
  const started = performance.now();
  let acked = 0;
  const consumer = await js.consumers.get("RAW", "c");
  const messagesIter = await consumer.consume({ max_messages: 1000 });
  const consuming = (async () => {
    for await (const msg of messagesIter) {
      msg.ack();
      if (++acked >= messages) break;
    }
  })();
  const window = 256;
  let next = 0;
  await Promise.all(
    Array.from({ length: window }, async () => {
      while (next < messages) {
        const i = next++;
        await publish(payload, `m${i}`);
      }
    }),
  );
  await consuming;
  const seconds = (performance.now() - started) / 1000;
  const client = process.cpuUsage(clientBefore);
  const cpuSeconds =
    (serverPid ? cpuSecondsOf(serverPid) : Number.NaN) - serverBefore + (client.user + client.system) / 1e6;
  hops.close();
  await jsm.streams.delete("RAW");
  await nc.close();
  // Server and client together, per message: comparable with a hop's CPU in all processes (hopRate).
  return { rate: messages / seconds, cpuMicrosPerMessage: (cpuSeconds * 1e6) / messages };
}

export function spawnWorker(url: string, id: string): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [join(root, "bin/matrix.js"), "worker", "--nats", url, "--id", id, "--concurrency", "256"],
    { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, MATRIX_LOG_LEVEL: "error" } },
  );
  return new Promise((done, fail) => {
    let log = "";
    const exited = (code: number | null) =>
      fail(new Error(`worker ${id} exited (${code}) before it was ready:\n${log}`));
    child.once("exit", exited);
    child.stderr!.on("data", (chunk: Buffer) => {
      log += chunk;
      if (!log.includes(" ready ")) return;
      child.off("exit", exited);
      done(child);
    });
  });
}

const noop = pipeline("bench-nats-hops")
  .code("a", () => undefined)
  .code("b", () => undefined)
  .router("a", (task) => (task.hops < (task.row!.hops as number) ? (task.hops % 2 === 0 ? "a" : "b") : null));

/**
 * Hops/s through `workers` worker processes, and where the CPU went: microseconds per hop in the
 * server (when its pid is given), the workers together, and the driver (this process).
 *
 * Both over the steady window, as the raw rate is measured (its stream and consumer are made before
 * its clock starts): from the moment 10% of the hops have ended to the moment 90% have, by the hop
 * events the driver receives. The whole run is kept beside it; it also holds the run's start (the
 * streams, consumers and registration a run makes, and the worker taking it on: about 0.2 s before
 * the first hop on this machine), which weighed 3% in a 5,000-task round and 15% in a 2,000-task one.
 *
 * `maxInFlight` tasks at once keep a worker's 2 × 256 slots and the server's queue busy. Twice that
 * only makes tasks wait in the worker for their publish acks (the server sends them behind the
 * deliveries), long enough to outlive a young-generation GC: about 1 MB promoted per scavenge
 * against almost nothing at 1,000 (--trace-gc-nvp), and 10% more CPU per hop.
 */
export async function hopRate(
  url: string,
  tasks: number,
  hopsPerTask: number,
  workers: number,
  serverPid?: number,
  maxInFlight = 1000,
) {
  const children = await Promise.all(Array.from({ length: workers }, (_, i) => spawnWorker(url, `bench-${i}`)));
  const bus = await createNatsBus({ servers: [url] });
  const rows = Array.from({ length: tasks }, (_, i) => ({ id: String(i), hops: hopsPerTask }));
  const cpu = () => ({
    at: performance.now(),
    server: serverPid ? cpuSecondsOf(serverPid) : Number.NaN,
    workers: children.reduce((sum, child) => sum + cpuSecondsOf(child.pid!), 0),
    driver: process.cpuUsage(),
  });
  // A hop moves one message: each role hop publishes the next, and the driver's feed is one more a task.
  const messagesPerHopEvent = (hopsPerTask + 1) / hopsPerTask;
  const perHop = (from: ReturnType<typeof cpu>, to: ReturnType<typeof cpu>, hops: number): HopCpu => ({
    server: ((to.server - from.server) * 1e6) / hops,
    workers: ((to.workers - from.workers) * 1e6) / hops,
    driver: (to.driver.user + to.driver.system - from.driver.user - from.driver.system) / hops,
  });
  const start = cpu();
  const run = noop.run({ source: rows, bus, maxInFlight, keepResults: false });
  const roleHops = tasks * hopsPerTask;
  const lowMark = Math.ceil(roleHops * 0.1);
  const highMark = Math.ceil(roleHops * 0.9);
  let ended = 0;
  let firstHopMs: number | undefined;
  let low: ReturnType<typeof cpu> | undefined;
  let high: ReturnType<typeof cpu> | undefined;
  run.subscribe((event) => {
    if (event.type !== "hop-end") return;
    firstHopMs ??= performance.now() - start.at;
    ended++;
    if (ended === lowMark) low = cpu();
    if (ended === highMark) high = cpu();
  });
  const summary = await run.done();
  const end = cpu();
  const seconds = (end.at - start.at) / 1000;
  const hops = summary.hops + tasks; /* the driver's feed publishes and the sink hop */
  // Events are advisory (a batch may be lost); without both marks the whole run is the figure.
  const windowHops = (highMark - lowMark) * messagesPerHopEvent;
  const steady =
    low && high
      ? { hopsPerSecond: windowHops / ((high.at - low.at) / 1000), cpuMicrosPerHop: perHop(low, high, windowHops) }
      : undefined;
  await bus.close();
  for (const child of children) child.kill("SIGTERM");
  await Promise.all(children.map((child) => new Promise((done) => child.once("exit", done))));
  const whole = { hopsPerSecond: hops / seconds, cpuMicrosPerHop: perHop(start, end, hops) };
  return {
    hops,
    seconds,
    done: summary.counts.done,
    whole,
    firstHopMs: firstHopMs ?? Number.NaN,
    /** The figure to report: the steady window, or the whole run when the events did not mark one. */
    figure: { ...(steady ?? whole), steady: steady !== undefined },
  };
}

/** Microseconds of CPU per hop in nats-server, the worker processes together, and the driver. */
export interface HopCpu {
  server: number;
  workers: number;
  driver: number;
}

/** One line for a hop measurement: hops/s, then where its CPU went. */
export function formatHops(hopsPerSecond: number, cpu: HopCpu): string {
  const n = (value: number) => Math.round(value).toLocaleString("en-US");
  return (
    `${n(hopsPerSecond)} hops/s; CPU per hop: server ${n(cpu.server)} µs, worker(s) ${n(cpu.workers)} µs, ` +
    `driver ${n(cpu.driver)} µs (${n(cpu.server + cpu.workers + cpu.driver)} µs in all)`
  );
}

/** One line for a round of hotPath(). */
export function formatRound(round: HotPathRound, index: number): string {
  const cpuPerHop = round.cpuMicrosPerHop.server + round.cpuMicrosPerHop.workers + round.cpuMicrosPerHop.driver;
  return (
    `round ${index + 1}: raw ${Math.round(round.rawRate).toLocaleString("en-US")} msg/s (mean of before and after); ` +
    `hops through 1 worker process ${formatHops(round.hopsPerSecond, round.cpuMicrosPerHop)}` +
    `${round.steady ? ` (steady 10–90%; whole run ${Math.round(round.wholeRunHopsPerSecond).toLocaleString("en-US")} hops/s, first hop after ${Math.round(round.firstHopMs)} ms)` : " (whole run)"}; ` +
    `${round.ratio.toFixed(2)} of raw by rate, ${(round.rawCpuMicrosPerMessage / cpuPerHop).toFixed(2)} by CPU`
  );
}

export interface HotPathRound {
  /** Raw msg/s: the mean of the measurements just before and just after the hops. */
  rawRate: number;
  rawCpuMicrosPerMessage: number;
  /** Over the steady window (hopRate), or the whole run when the hop events did not mark one (`steady` false). */
  hopsPerSecond: number;
  /** hops/s over rawRate. */
  ratio: number;
  /** Over the same window as hopsPerSecond. */
  cpuMicrosPerHop: HopCpu;
  steady: boolean;
  /** From the run's start to its end, the run's start-up included. */
  wholeRunHopsPerSecond: number;
  /** From the run's start to the first hop event the driver received. */
  firstHopMs: number;
}

/**
 * The NATS hot path as the benchmarks report it: `rounds` runs of hops through one worker process
 * (no-op code agents, 20 hops a task) on one server, each between two measurements of the raw rate
 * (a round's raw is their mean: the host's speed moves from minute to minute, and one measurement
 * taken before was up to 30% off the next). The round with the median ratio is the figure; every
 * round is kept.
 *
 * One worker process, because on two cores the server and driver take about a core between them: a
 * second worker adds context switches and GC threads competing for the same cores (10–40% more CPU
 * per hop; bench/nats-bus.ts prints both). Workers scale with the cores they get (scaling.ts).
 */
export async function hotPath(
  url: string,
  serverPid: number,
  options: { rounds: number; rawMessages: number; tasks: number },
): Promise<{ rounds: HotPathRound[]; median: HotPathRound }> {
  const rounds: HotPathRound[] = [];
  let before = await rawRate(url, options.rawMessages, "hop", serverPid);
  for (let i = 0; i < options.rounds; i++) {
    const hop = await hopRate(url, options.tasks, 20, 1, serverPid);
    const after = await rawRate(url, options.rawMessages, "hop", serverPid);
    const rawRateMean = (before.rate + after.rate) / 2;
    rounds.push({
      rawRate: rawRateMean,
      rawCpuMicrosPerMessage: (before.cpuMicrosPerMessage + after.cpuMicrosPerMessage) / 2,
      hopsPerSecond: hop.figure.hopsPerSecond,
      ratio: hop.figure.hopsPerSecond / rawRateMean,
      cpuMicrosPerHop: hop.figure.cpuMicrosPerHop,
      steady: hop.figure.steady,
      wholeRunHopsPerSecond: hop.whole.hopsPerSecond,
      firstHopMs: hop.firstHopMs,
    });
    before = after;
  }
  const byRatio = [...rounds].sort((a, b) => a.ratio - b.ratio);
  return { rounds, median: byRatio[Math.floor((byRatio.length - 1) / 2)]! };
}

/** Sequential, awaited latencies by size: object store put/get, content-stream put/direct get, inline publish. */
export async function objectLatency(url: string) {
  const nc = await connect({ servers: url });
  const store = await new Objm(nc).create("bench_latency", { storage: StorageType.File });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: "LAT", subjects: ["lat.>"], storage: StorageType.File });
  // Shaped like a run's content stream (content-store.ts).
  await jsm.streams.add({
    name: "LATC",
    subjects: ["latc.>"],
    storage: StorageType.File,
    allow_direct: true,
    max_msgs_per_subject: 1,
  });
  const rows: string[] = [];
  const ms = (value: number) => `${value.toFixed(2)} ms`;
  for (const size of [512, 1024, 4096, 16_384, 65_536]) {
    const bytes = new Uint8Array(size).fill(120);
    const n = 100;
    const time = async (step: (i: number) => Promise<unknown>) => {
      const t = performance.now();
      for (let i = 0; i < n; i++) await step(i);
      return (performance.now() - t) / n;
    };
    const put = await time((i) => store.putBlob({ name: `o${size}-${i}` }, bytes));
    const get = await time((i) => store.getBlob(`o${size}-${i}`));
    const streamPut = await time((i) => js.publish(`latc.s${size}-${i}`, bytes));
    const streamGet = await time((i) => jsm.direct.getMessage("LATC", { last_by_subj: `latc.s${size}-${i}` }));
    const publish = await time(() => js.publish("lat.x", bytes));
    rows.push(
      `  ${String(size).padStart(6)} B   object put ${ms(put)} get ${ms(get)}   content stream put ${ms(streamPut)} get ${ms(streamGet)}   inline publish ${ms(publish)}`,
    );
  }
  await store.destroy();
  await jsm.streams.delete("LAT");
  await jsm.streams.delete("LATC");
  await nc.close();
  return rows;
}

// Every turn is unique (task id and turn number first), so content addressing cannot dedupe it away.
const conversation = pipeline("bench-nats-conversation")
  .code("a", (task) => {
    const chars = task.row!.chars as number;
    return { content: `${task.id}:${task.history.length}:${"lorem ipsum ".repeat(chars / 12 + 1)}`.slice(0, chars) };
  })
  .code("b", async (task, ctx) => {
    // Agents read the previous turn, as a chat agent building its prompt would.
    const last = task.history.at(-1);
    const text = (last ? await ctx.content(last) : "") ?? "";
    const chars = task.row!.chars as number;
    return {
      content: `${task.id}:${task.history.length}:${text.slice(0, 10)}${"dolor sit ".repeat(chars / 10 + 1)}`.slice(
        0,
        chars,
      ),
    };
  })
  .conversation({ roles: ["a", "b"], maxTurns: 20 });

const quiet = createLogger({ level: "error" });

export async function bytesPerHop(url: string, threshold: number, chars: number) {
  const driver = await createNatsBus({ servers: [url], offloadThreshold: threshold });
  const workerBus = await createNatsBus({ servers: [url], offloadThreshold: threshold });
  // At error level: its warning that no keys are trusted would land between the printed figures.
  const worker = await startWorker({ bus: workerBus, id: "bench-bytes", concurrency: 64, logger: quiet });
  const rows = Array.from({ length: 50 }, (_, i) => ({ id: String(i), chars }));
  const started = performance.now();
  const summary = await conversation.run({ source: rows, bus: driver, keepResults: false }).done();
  const seconds = (performance.now() - started) / 1000;
  const wire = driver.stats.publishedBytes + workerBus.stats.publishedBytes;
  const messages = driver.stats.published + workerBus.stats.published;
  const objects = driver.content.stats.offloadedBytes + workerBus.content.stats.offloadedBytes;
  const fetched = driver.content.stats.fetched + workerBus.content.stats.fetched;
  await worker.drain();
  await driver.close();
  if (summary.counts.done !== rows.length) console.log("  (not all done:", JSON.stringify(summary.counts), ")");
  return { wirePerHop: wire / messages, objectPerHop: objects / messages, hops: summary.hops, seconds, fetched };
}
