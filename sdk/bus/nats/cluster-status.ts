/**
 * A snapshot of the cluster for `matrix status`: live workers (heartbeats), active runs (registry),
 * and per run and role the queue counts JetStream keeps on each durable consumer.
 *
 * Where you are: `bus/nats/`. Read-only; safe to run against a busy cluster.
 */
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { names } from "./names.js";
import { listRuns, openKv } from "./run-registry.js";
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
}

export interface ClusterStatus {
  workers: WorkerHeartbeat[];
  runs: RunStatus[];
}

export async function clusterStatus(nc: NatsConnection): Promise<ClusterStatus> {
  const jsm = await jetstreamManager(nc);
  const workers = await (await WorkerRegistry.open(nc)).list();
  const records = await listRuns(await openKv(nc, names.runsBucket));
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
    runs.push({
      runId: record.runId,
      pipeline: record.definition.name,
      created: record.created,
      driver: record.driver,
      roles: roles.sort((a, b) => a.role.localeCompare(b.role)),
      messages,
    });
  }
  return { workers: workers.sort((a, b) => a.id.localeCompare(b.id)), runs };
}
