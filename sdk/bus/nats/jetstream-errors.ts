/**
 * The two JetStream API answers the bus tolerates by design, recognised in one place: a stream or
 * bucket that is already gone (two removers racing, a run that never offloaded) and one that already
 * exists (a driver re-opening its run).
 *
 * Where you are: `bus/nats/`. The client reports both as plain errors whose message carries the
 * server's description, so they are matched by text.
 */
const messageOf = (error: unknown) => String((error as Error)?.message);

/** "stream not found", "consumer not found", "bucket not found"... */
export function isNotFound(error: unknown): boolean {
  return /not found/i.test(messageOf(error));
}

/** "stream name already in use", "already exists". */
export function isAlreadyCreated(error: unknown): boolean {
  return /already in use|already exists/i.test(messageOf(error));
}

/** For `.catch()`: swallows "not found", rethrows anything else. */
export function ignoreNotFound(error: unknown): void {
  if (!isNotFound(error)) throw error;
}
