/**
 * Benchmark: the NATS bus on this machine (server, workers and driver together). Prints figures;
 * asserts nothing.
 *
 *  1. raw JetStream: publish (256 in flight) + consume + ack, the ceiling for one hop's traffic, through
 *     the bus's publisher and through the client's js.publish;
 *  2. hops/s through `matrix worker` processes with no-op code agents, and its ratio to (1);
 *  3. offloading: put/get latency by size in an object store and in a content stream (where a run's
 *     offloaded texts up to 512 KiB go), and bytes and hops/s on a long conversation with and without
 *     offloading (how DEFAULT_OFFLOAD_THRESHOLD was picked).
 *
 * Run: npm run bench:nats   (needs nats-server: apt-get install nats-server, or NATS_SERVER_BIN)
 */
import { cpus, totalmem } from "node:os";
import { bytesPerHop, hopRate, natsServerBinary, objectLatency, rawRate, startServer } from "./nats-measures.js";

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
  const hop = await hopRate(server.url, 2000, 20, 2, server.pid);
  const rate = hop.hops / hop.seconds;
  const cpu = hop.cpuMicrosPerHop;
  const cpuPerHop = cpu.server + cpu.workers + cpu.driver;
  console.log(
    `matrix hops, 2 worker processes + driver, no-op code agents: ${hop.hops} hops in ${hop.seconds.toFixed(2)} s = ${Math.round(rate)} hops/s (${hop.done} tasks done)`,
  );
  console.log(
    `CPU per hop: server ${Math.round(cpu.server)} µs, workers ${Math.round(cpu.workers)} µs, driver ${Math.round(cpu.driver)} µs ` +
      `(${Math.round(cpuPerHop)} µs in all: ${Math.round((cpus().length * 1e6) / cpuPerHop)} hops/s if the cores did nothing else)`,
  );
  console.log(
    `ratio hops / raw by CPU (raw's CPU per message / a hop's): ${(raw.cpuMicrosPerMessage / cpuPerHop).toFixed(2)}`,
  );
  console.log(`ratio hops / raw by rate: ${(rate / raw.rate).toFixed(2)}\n`);
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
