/**
 * `matrix status --nats URL [--json]`: workers (from their heartbeats, with the runs they refuse and
 * why), active runs with their driver's lease (held, detached, expired: adoptable with --resume,
 * abandoned: about to be removed) and signing key, and per role the pending / in-flight / redelivered
 * counts of its queue.
 *
 * Where you are: `cli/`, loaded only when `matrix status` runs (flags in program.ts). The snapshot is
 * built in bus/nats/cluster-status.ts; this file only prints.
 */
import type { RunStatus } from "../bus/nats/cluster-status.js";
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

function duration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  return seconds < 120
    ? `${seconds}s`
    : seconds < 7200
      ? `${Math.round(seconds / 60)}m`
      : `${Math.round(seconds / 3600)}h`;
}

const age = (time: number) => `${duration(Date.now() - time)} ago`;

/** The driver part of a run's line: who drives it, and what happens to it if nobody does. */
function driverText(run: RunStatus): string {
  const driver = `driver=${run.driver.host}:${run.driver.pid}`;
  const lease = run.lease;
  if (!lease) return `${driver} (no lease)`;
  const holder = `driver=${lease.holder.host}:${lease.holder.pid}`;
  const removal = lease.removeInMs !== undefined ? `removed in ${duration(lease.removeInMs)}` : "";
  switch (lease.state) {
    case "held":
      return holder;
    case "detached":
      return `${holder} detached ${duration(lease.ageMs)} ago (${lease.fed ? "fed; matrix attach collects it" : "feeding stopped"}; ${removal})`;
    case "expired":
      return `${holder} gone ${duration(lease.ageMs)} (adopt with --resume in its output directory; ${removal})`;
    case "abandoned":
      return `${holder} ABANDONED (removed at the next worker sweep)`;
    case "removing":
      return `${holder} being removed`;
  }
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
    for (const worker of status.workers)
      for (const problem of worker.problems ?? [])
        io.stdout(`  ${worker.id} does not serve ${problem.runId} (${problem.reason}): ${problem.message}\n`);
    io.stdout(`\nRuns (${status.runs.length})\n`);
    for (const run of status.runs) {
      io.stdout(
        `${run.runId}  pipeline=${run.pipeline}  ${driverText(run)}  started ${age(run.created)}  ${run.signedBy ? `signed by ${run.signedBy}` : "unsigned"}\n`,
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
