/**
 * Benchmark: the NATS bus on this machine (server, workers and driver together). Prints figures;
 * asserts nothing.
 *
 *  1. raw JetStream: publish (256 in flight) + consume + ack, the ceiling for one hop's traffic, through
 *     the bus's publisher and through the client's js.publish;
 *  2. hops/s through a `matrix worker` process with no-op code agents, and its ratio to (1), in three
 *     rounds of (1) then (2); then the same through two worker processes, for comparison;
 *  3. offloading: put/get latency by size in an object store and in a content stream (where a run's
 *     offloaded texts up to 512 KiB go), and bytes and hops/s on a long conversation with and without
 *     offloading (how DEFAULT_OFFLOAD_THRESHOLD was picked).
 *
 * Run: npm run bench:nats   (needs nats-server: apt-get install nats-server, or NATS_SERVER_BIN)
 */
import { cpus, totalmem } from "node:os";
import {
  bytesPerHop,
  formatHops,
  formatRound,
  hopRate,
  hotPath,
  natsServerBinary,
  objectLatency,
  rawRate,
  startServer,
} from "./nats-measures.js";

if (!natsServerBinary) {
  console.error("nats-server not found (apt-get install nats-server, or set NATS_SERVER_BIN)");
  process.exit(1);
}
const server = await startServer();
try {
  console.log(
    `NATS bus benchmark — ${cpus().length} × ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, nats-server ${natsServerBinary}\n`,
  );
  const raw = await rawRate(server.url, 60_000, "hop", server.pid);
  const rawClient = await rawRate(server.url, 60_000, "client", server.pid);
  console.log(
    `raw JetStream publish (256 in flight) + consume + ack, 400 B, one process: ${Math.round(raw.rate)} msg/s, ` +
      `${Math.round(raw.cpuMicrosPerMessage)} µs CPU per message (client js.publish: ${Math.round(rawClient.rate)} msg/s, ${Math.round(rawClient.cpuMicrosPerMessage)} µs)`,
  );
  const hot = await hotPath(server.url, server.pid, { rounds: 3, rawMessages: 60_000, tasks: 5000 });
  console.log("matrix hops, driver + worker process(es), no-op code agents, 5,000 tasks × 20 hops:");
  for (const [i, round] of hot.rounds.entries()) console.log(formatRound(round, i));
  console.log(`median round: ${Math.round(hot.median.hopsPerSecond)} hops/s, ${hot.median.ratio.toFixed(2)} of raw`);
  const two = await hopRate(server.url, 5000, 20, 2, server.pid);
  console.log(
    `the same through 2 worker processes: ${formatHops(two.figure.hopsPerSecond, two.figure.cpuMicrosPerHop)}` +
      `${two.figure.steady ? " (steady 10–90%)" : " (whole run)"}\n`,
  );
  console.log("offloaded content vs inline, per message (sequential, awaited):");
  for (const line of await objectLatency(server.url)) console.log(line);
  console.log("\nlong conversation (50 tasks × 20 turns, each turn N chars), bytes per hop:");
  for (const chars of [2000, 8000, 32000]) {
    for (const threshold of [0, 1024, 16384]) {
      const r = await bytesPerHop(server.url, threshold, chars);
      console.log(
        `  turn ${String(chars).padStart(5)} chars, offload ${threshold === 0 ? "off " : `>${threshold} B`}: ` +
          `${Math.round(r.wirePerHop)} B/hop on the wire + ${Math.round(r.objectPerHop)} B/hop into the content store; ` +
          `${Math.round(r.hops / r.seconds)} hops/s; ${r.fetched} content fetches`,
      );
    }
  }
} finally {
  await server.stop();
}
