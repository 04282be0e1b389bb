/**
 * `matrix endpoint register --url U [--model M] [--kind vllm] [--wait] [--keep]` and `matrix endpoint list`:
 * the endpoint registry on NATS, used by cluster recipes so inference servers announce themselves and
 * workers find them without configuration.
 *
 * Where you are: `cli/`, loaded only when `matrix endpoint` runs (flags in program.ts). `--wait` polls
 * the URL's /models until the server answers; `--keep` re-registers every 20 s until SIGTERM or
 * Ctrl-C, then withdraws the entry (entries also expire after 60 s, so a dead server drops out).
 */
import type { NatsConnection } from "@nats-io/transport-node";
import type { CliIo } from "./cli-io.js";
import { natsFlags, type NatsFlagValues } from "./nats-flags.js";
import type { EndpointListFlags, EndpointRegisterFlags } from "./program.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForServer(url: string, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const response = await fetch(`${url.replace(/\/$/, "")}/models`, { signal: AbortSignal.timeout(5000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await sleep(2000);
  }
}

async function withConnection<T>(
  flags: NatsFlagValues,
  io: CliIo,
  use: (connection: NatsConnection) => Promise<T>,
): Promise<T> {
  const { connectNats, natsConnectionOptions } = await import("../bus/nats/index.js");
  const connection = await connectNats(natsConnectionOptions(natsFlags(flags, "matrix-endpoint"), io.env));
  try {
    return await use(connection);
  } finally {
    await connection.close();
  }
}

export async function list(flags: EndpointListFlags, io: CliIo): Promise<number> {
  const { listEndpoints } = await import("../bus/nats/index.js");
  return withConnection(flags, io, async (connection) => {
    for (const endpoint of await listEndpoints(connection))
      io.stdout(`${endpoint.url}\t${endpoint.model ?? "-"}\t${endpoint.kind ?? "-"}\n`);
    return 0;
  });
}

export async function register(flags: EndpointRegisterFlags, io: CliIo): Promise<number> {
  const { registerEndpoint, unregisterEndpoint } = await import("../bus/nats/index.js");
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  try {
    return await withConnection(flags, io, async (connection) => {
      if (flags.wait) await waitForServer(flags.url, stop.signal);
      const record = { url: flags.url, model: flags.model, kind: flags.kind };
      do {
        await registerEndpoint(connection, record);
        io.stderr(`registered ${flags.url}\n`);
        if (flags.keep)
          await Promise.race([sleep(20_000), new Promise((r) => stop.signal.addEventListener("abort", r))]);
      } while (flags.keep && !stop.signal.aborted);
      // Stopped (`matrix cluster down`, a pod going away): its server goes too, so a run started
      // now must not list it (nor a `cluster up` right after, on the same JetStream store).
      if (flags.keep) {
        await unregisterEndpoint(connection, flags.url);
        io.stderr(`unregistered ${flags.url}\n`);
      }
      return 0;
    });
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
  }
}
