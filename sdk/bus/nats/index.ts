/**
 * The NATS JetStream bus and its pieces: the public entry point of `bus/nats/`.
 *
 * Where you are: `bus/nats/`. `sdk/index.ts` re-exports this; the CLI imports it lazily so
 * `matrix run` on the local bus never loads the NATS client.
 */
export { createNatsBus, NatsBus, DEFAULT_OFFLOAD_THRESHOLD, type NatsBusOptions } from "./nats-bus.js";
export {
  natsConnectionOptions,
  describeServers,
  type NatsConnectionOptions,
  type NatsFlags,
} from "./connection-options.js";
export { connectNats } from "./connect-nats.js";
export { ContentStore, type ContentStoreOptions } from "./content-store.js";
export { names as natsNames } from "./names.js";
export { type RunRecord, decodeRunRecord, listRuns, openKv } from "./run-registry.js";
export { clusterStatus, type ClusterStatus, type RunStatus, type RoleQueueStatus } from "./cluster-status.js";
export { WorkerRegistry, type WorkerHeartbeat } from "./worker-registry.js";
export {
  registerEndpoint,
  unregisterEndpoint,
  listEndpoints,
  ENDPOINT_TTL_MS,
  type EndpointRecord,
} from "./endpoint-registry.js";
export { requestRunControl, serveRunControl, type ControlRequest } from "./run-control.js";
export { NatsSharedStore, openSharedBucket } from "./shared-kv-store.js";
