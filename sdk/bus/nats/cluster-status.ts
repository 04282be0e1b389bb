/**
 * A snapshot of the cluster for `matrix status`: live workers (heartbeats, with the runs they refuse
 * and why), active runs (registry) with their driver's lease (held, detached, expired, abandoned),
 * and per run and role the queue counts JetStream keeps on each durable consumer.
 *
 * Where you are: `bus/nats/`. Read-only; safe to run against a busy cluster.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { names, token } from "./names.js";
import { leaseState, RunLeases, type LeaseState } from "./run-lease.js";
import { listRuns } from "./run-registry.js";
import { WorkerRegistry, type WorkerHeartbeat } from "./worker-registry.js";

export interface RoleQueueStatus {
  role: string;
  /** Waiting, not yet delivered. */
  pending: number;
  /** Delivered and not yet acked (being worked on). */
  inFlight: number;
  /** Delivered more than once and not yet acked. */
  redelivered: number;
}

export interface RunStatus {
  runId: string;
  pipeline: string;
  created: number;
  driver: { host: string; pid: number };
  roles: RoleQueueStatus[];
  /** Messages in the run's stream (all roles, including the sink and dead letters). */
  messages: number;
  /** The driver's lease: `expired` is adoptable with `--resume`; `abandoned` is removed by the next worker sweep. */
  lease?: {
    state: LeaseState;
    holder: { host: string; pid: number };
    /** How long ago the lease was last written. */
    ageMs: number;
    /** Time left before workers remove the run (0: at the next sweep). */
    removeInMs?: number;
    /** Feeding finished (a detached run can be collected with `matrix attach`). */
    fed: boolean;
  };
  /** Whether the record is signed, and by which key. */
  signedBy?: string;
}

export interface ClusterStatus {
  workers: WorkerHeartbeat[];
  runs: RunStatus[];
}

export async function clusterStatus(nc: NatsConnection): Promise<ClusterStatus> {
  const jsm = await jetstreamManager(nc);
  const workers = await (await WorkerRegistry.open(nc)).list();
  const records = await listRuns(nc);
  const leases = await (await RunLeases.open(nc)).list().catch(() => new Map());
  const now = Date.now();
  const runs: RunStatus[] = [];
  for (const record of records) {
    const stream = names.stream(record.runId);
    const roles: RoleQueueStatus[] = [];
    let messages = 0;
    try {
      messages = (await jsm.streams.info(stream)).state.messages;
      for await (const info of jsm.consumers.list(stream)) {
        roles.push({
          role: info.config.description ?? info.name,
          pending: info.num_pending,
          inFlight: info.num_ack_pending,
          redelivered: info.num_redelivered,
        });
      }
    } catch {
      // The run is registered but its stream is gone (being closed): show it without queues.
    }
    const entry = leases.get(token(record.runId));
    const lease = entry ? leaseState(entry, now) : undefined;
    runs.push({
      runId: record.runId,
      pipeline: record.definition.name,
      created: record.created,
      driver: record.driver,
      roles: roles.sort((a, b) => a.role.localeCompare(b.role)),
      messages,
      ...(entry && lease
        ? {
            lease: {
              state: lease.state,
              holder: entry.lease.holder,
              ageMs: now - entry.written,
              fed: entry.lease.feed.done,
              ...(lease.state === "held" || lease.state === "removing"
                ? {}
                : { removeInMs: Math.max(0, entry.lease.graceMs - lease.expiredMs) }),
            },
          }
        : {}),
      ...(record.signature ? { signedBy: record.signature.keyId } : {}),
    });
  }
  return { workers: workers.sort((a, b) => a.id.localeCompare(b.id)), runs };
}
