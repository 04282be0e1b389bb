/**
 * Every NATS name the bus uses, in one place: per-run streams, subjects, durable consumers, buckets.
 *
 * Where you are: `bus/nats/`. Workers, the driver and `matrix status` must agree on these, so
 * change them only together (and never within a release).
 */
import { escapeName } from "../escape-name.js";

const TOKEN_CHARS = /^[A-Za-z0-9_-]+$/;

/** Run ids and role names become subject tokens and stream names: keep what NATS allows, hex the rest. */
export function token(name: string): string {
  return escapeName(name, TOKEN_CHARS);
}

export const names = {
  /** The work-queue stream holding every role queue of one run. */
  stream: (runId: string) => `MATRIX_${token(runId)}`,
  /** A role's queue inside the run's stream. */
  subject: (runId: string, role: string) => `matrix.${token(runId)}.q.${token(role)}`,
  /** Corrupt messages go here, kept for inspection (nothing consumes it). */
  deadSubject: (runId: string) => `matrix.${token(runId)}.dead`,
  streamSubjects: (runId: string) => `matrix.${token(runId)}.>`,
  /** The durable pull consumer shared by every instance of a role. */
  consumer: (role: string) => `role_${token(role)}`,
  /** Request/reply subject of a live run's driver (dead letters: list, show, retry). */
  control: (runId: string) => `matrix_ctl.${token(runId)}`,
  /** Core-NATS subject for hop events flowing back to the driver (not stored). */
  events: (runId: string) => `matrix_events.${token(runId)}`,
  /**
   * Stream of a run's offloaded content up to 512 KiB, one message per text. The hyphen keeps it apart
   * from every run stream: `MATRIX_CONTENT_x` would be the stream of a run named `CONTENT_x`.
   */
  content: (runId: string) => `MATRIX-CONTENT_${token(runId)}`,
  /** A text's subject in that stream (`*` for all of them). */
  contentSubject: (runId: string, sha256: string) => `matrix_content.${token(runId)}.${sha256}`,
  /** Object store bucket of a run's offloaded content above that. */
  objects: (runId: string) => `matrix_obj_${token(runId)}`,
  /** KV bucket of a run's shared stores (dedup indexes), one key prefix per store. */
  sharedBucket: (runId: string) => `matrix_shared_${token(runId)}`,
  /** KV: active runs (key = run token, value = the run record with the pipeline definition). */
  runsBucket: "matrix_runs",
  /** KV: drivers' leases on their runs (heartbeat and feed checkpoint), read by adopters and workers. */
  leasesBucket: "matrix_leases",
  /** KV: worker heartbeats, expiring on their own when a worker dies. */
  workersBucket: "matrix_workers",
  /** KV: OpenAI-compatible inference endpoints registered by servers (vLLM, SGLang). */
  endpointsBucket: "matrix_endpoints",
} as const;
