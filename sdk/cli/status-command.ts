/**
 * `matrix status --nats URL [--json]`: workers (from their heartbeats), active runs, and per role the
 * pending / in-flight / redelivered counts of its queue.
 *
 * Where you are: `cli/`, loaded only when `matrix status` runs (flags in program.ts). The snapshot is
 * built in bus/nats/cluster-status.ts; this file only prints.
 */
import type { CliIo } from "./cli-io.js";
import { natsFlags } from "./nats-flags.js";
import type { StatusFlags } from "./program.js";

function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => row[i]!.length)));
  const line = (row: string[]) =>
    row
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

function age(time: number): string {
  const seconds = Math.max(0, Math.round((Date.now() - time) / 1000));
  return seconds < 120 ? `${seconds}s ago` : `${Math.round(seconds / 60)}m ago`;
}

export async function command(flags: StatusFlags, io: CliIo): Promise<number> {
  const { connectNats, natsConnectionOptions, clusterStatus } = await import("../bus/nats/index.js");
  const connection = await connectNats(natsConnectionOptions(natsFlags(flags, "matrix-status"), io.env));
  try {
    const status = await clusterStatus(connection);
    if (flags.json) {
      io.stdout(`${JSON.stringify(status, null, 2)}\n`);
      return 0;
    }
    io.stdout(`Workers (${status.workers.length})\n`);
    if (status.workers.length > 0)
      io.stdout(
        `${table(
          ["id", "host", "pid", "roles", "runs", "in-flight", "hops", "version", "seen"],
          status.workers.map((w) => [
            w.id,
            w.host,
            String(w.pid),
            w.roles === "*" ? "*" : w.roles.join(","),
            String(w.runs.length),
            String(w.inFlight),
            String(w.hops),
            w.version,
            age(w.time),
          ]),
        )}\n`,
      );
    io.stdout(`\nRuns (${status.runs.length})\n`);
    for (const run of status.runs) {
      io.stdout(
        `${run.runId}  pipeline=${run.pipeline}  driver=${run.driver.host}:${run.driver.pid}  started ${age(run.created)}\n`,
      );
      io.stdout(
        `${table(
          ["  role", "pending", "in-flight", "redelivered"],
          run.roles.map((r) => [`  ${r.role}`, String(r.pending), String(r.inFlight), String(r.redelivered)]),
        )}\n`,
      );
    }
    return 0;
  } finally {
    await connection.close();
  }
}
