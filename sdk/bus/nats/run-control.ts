/**
 * The control channel of a live run on NATS: request/reply on `matrix_ctl.<run>`, answered by the
 * run's driver. `matrix dlq list|show|retry --nats URL --run ID` asks it for the run's dead letters and
 * has it re-queue them: only the driver may, because it counts the run's tasks in flight (a task put
 * on a queue behind its back could be lost when the run ends).
 *
 * Where you are: `bus/nats/`. The driver side registers a handler through `NatsBus.onControl`; the
 * CLI side calls `requestRunControl`. Requests and replies are small JSON; errors travel as
 * serialized MatrixErrors. No responder means no live run of that id (finished, or never started).
 */
import type { NatsConnection } from "@nats-io/transport-node";
import { BusError, ConfigError, serializeError, type SerializedError } from "../../errors.js";
import { names } from "./names.js";

export type ControlRequest =
  | { op: "list" }
  | { op: "show"; id: string }
  | { op: "retry"; ids?: string[]; patch?: Record<string, unknown>; from?: "failed-role" | "start" };

type ControlReply = { ok: true; result: unknown } | { ok: false; error: SerializedError };

const encoder = new TextEncoder();
const decoder = new TextDecoder();
/** NATS refuses messages over 1 MiB; keep room for headers. */
const MAX_REPLY_BYTES = 900 * 1024;

export function serveRunControl(
  nc: NatsConnection,
  runId: string,
  handler: (request: ControlRequest) => Promise<unknown>,
): () => void {
  const subscription = nc.subscribe(names.control(runId), {
    callback: (error, msg) => {
      if (error) return;
      void (async (): Promise<ControlReply> => {
        try {
          const request = JSON.parse(decoder.decode(msg.data)) as ControlRequest;
          return { ok: true, result: await handler(request) };
        } catch (failure) {
          return { ok: false, error: serializeError(failure) };
        }
      })().then((reply) => {
        let data = encoder.encode(JSON.stringify(reply));
        if (data.length > MAX_REPLY_BYTES)
          data = encoder.encode(
            JSON.stringify({
              ok: false,
              error: serializeError(
                new BusError(
                  `the reply is ${data.length} bytes, over what NATS carries; read it from the run's output directory`,
                ),
              ),
            }),
          );
        msg.respond(data);
      });
    },
  });
  return () => subscription.unsubscribe();
}

/** Asks the driver of `runId`; throws its error, or a ConfigError when no driver answers. */
export async function requestRunControl(
  nc: NatsConnection,
  runId: string,
  request: ControlRequest,
  timeoutMs = 15_000,
): Promise<unknown> {
  let reply: ControlReply;
  try {
    const msg = await nc.request(names.control(runId), encoder.encode(JSON.stringify(request)), { timeout: timeoutMs });
    reply = JSON.parse(decoder.decode(msg.data)) as ControlReply;
  } catch (error) {
    throw new ConfigError(
      "--run",
      `no live run '${runId}' answered on NATS (${(error as Error)?.message ?? error}); a finished run's dead letters are in its output directory (--out DIR)`,
      { cause: error },
    );
  }
  if (reply.ok) return reply.result;
  const failure = new BusError(`run ${runId}: ${reply.error.message}`);
  throw Object.assign(failure, { remote: reply.error });
}
