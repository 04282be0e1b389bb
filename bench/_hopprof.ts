import { readFileSync } from "node:fs";
import { spawn } from "node:child_process";
import { createNatsBus } from "../sdk/bus/nats/index.js";
import { pipeline } from "../sdk/index.js";
import { rawRate, spawnWorker, startServer } from "./nats-measures.js";
const cpu = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(f[11]) + Number(f[12])) / 100;
};
const server = await startServer();
const serverPid = Number(readFileSync("/dev/null", "utf8") || 0);
const spid = Number((await import("node:child_process")).execSync(`pgrep -n nats-server`).toString().trim());
const raw0 = cpu(spid),
  self0 = process.cpuUsage();
const raw = await rawRate(server.url, 60000);
const selfRaw = process.cpuUsage(self0);
console.log(
  `raw ${Math.round(raw)} msg/s; server cpu ${(cpu(spid) - raw0).toFixed(2)} s, client ${((selfRaw.user + selfRaw.system) / 1e6).toFixed(2)} s for 60000`,
);
const workers = Number(process.env.W ?? 2);
const children = await Promise.all(
  Array.from(
    { length: workers },
    (_, i) =>
      new Promise<import("node:child_process").ChildProcess>((done) => {
        const child = spawn(
          process.execPath,
          [
            ...(process.env.PROF ? ["--cpu-prof", "--cpu-prof-dir=/tmp/prof"] : []),
            "bin/matrix.js",
            "worker",
            "--nats",
            server.url,
            "--id",
            `p-${i}`,
            "--concurrency",
            "256",
          ],
          { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, MATRIX_LOG_LEVEL: "error" } },
        );
        let log = "";
        child.stderr!.on("data", (c: Buffer) => {
          log += c;
          if (log.includes(" ready ")) done(child);
        });
      }),
  ),
);
const noop = pipeline("bench-nats-hops")
  .code("a", () => undefined)
  .code("b", () => undefined)
  .router("a", (task) => (task.hops < (task.row!.hops as number) ? (task.hops % 2 === 0 ? "a" : "b") : null));
const bus = await createNatsBus({ servers: [server.url] });
const tasks = Number(process.env.T ?? 4000),
  rows = Array.from({ length: tasks }, (_, i) => ({ id: String(i), hops: 20 }));
const s0 = cpu(spid),
  w0 = children.map((c) => cpu(c.pid!)),
  d0 = process.cpuUsage();
const t0 = performance.now();
const summary = await noop.run({ source: rows, bus, maxInFlight: 2000, keepResults: false }).done();
const sec = (performance.now() - t0) / 1000;
const d = process.cpuUsage(d0);
const hops = summary.hops + tasks;
const us = (s: number) => ((s * 1e6) / hops).toFixed(0);
console.log(
  `µs/hop: server ${us(cpu(spid) - s0)} workers ${us(children.reduce((a, c, i) => a + cpu(c.pid!) - w0[i]!, 0))} driver ${us((d.user + d.system) / 1e6)}; bytes/msg ${Math.round(bus.stats.publishedBytes / bus.stats.published)}`,
);
console.log(
  `hops ${hops} in ${sec.toFixed(2)} s = ${Math.round(hops / sec)}/s (${(hops / sec / raw).toFixed(2)} of raw); server cpu ${(cpu(spid) - s0).toFixed(2)} s; workers ${children.map((c, i) => (cpu(c.pid!) - w0[i]!).toFixed(2)).join(", ")} s; driver ${((d.user + d.system) / 1e6).toFixed(2)} s`,
);
await bus.close();
for (const c of children) c.kill("SIGTERM");
await Promise.all(children.map((c) => new Promise((d) => c.once("exit", d))));
server.stop();
