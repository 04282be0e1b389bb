/**
 * Opens a NATS connection from `NatsConnectionOptions`, turning a refused login into `NatsAuthError`
 * and an unreachable server into `BusError`, both naming only the (credential-free) servers.
 *
 * Where you are: `bus/nats/`. The only place that hands secrets to the NATS client.
 */
import { readFileSync } from "node:fs";
import {
  connect,
  credsAuthenticator,
  nkeyAuthenticator,
  type Authenticator,
  type NatsConnection,
  type NodeConnectionOptions,
} from "@nats-io/transport-node";
import { BusError, ConfigError, NatsAuthError } from "../../errors.js";
import { describeServers, type NatsConnectionOptions } from "./connection-options.js";

function isAuthFailure(error: unknown): boolean {
  const name = (error as Error)?.name ?? "";
  const message = String((error as Error)?.message ?? "");
  return (
    name === "AuthorizationError" ||
    name === "UserAuthenticationExpiredError" ||
    /authorization violation|authentication|auth(entication)? (required|expired)/i.test(message)
  );
}

function clientOptions(options: NatsConnectionOptions): NodeConnectionOptions {
  const authenticators: Authenticator[] = [];
  if (options.credsFile) {
    let creds: Uint8Array;
    try {
      creds = readFileSync(options.credsFile);
    } catch (error) {
      throw new ConfigError("NATS_CREDS", `cannot read the creds file ${options.credsFile}`, { cause: error });
    }
    authenticators.push(credsAuthenticator(creds));
  }
  if (options.nkeySeed) authenticators.push(nkeyAuthenticator(new TextEncoder().encode(options.nkeySeed)));
  return {
    servers: options.servers,
    name: options.name ?? "matrix",
    ...(options.user !== undefined ? { user: options.user, pass: options.password } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(authenticators.length > 0 ? { authenticator: authenticators } : {}),
    ...(options.tls ? { tls: { ...options.tls } } : {}),
    // A worker must outlive a server restart (file storage keeps the queues): reconnect forever.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    pingInterval: 10_000,
    // Each request otherwise builds two Error objects up front for async stack traces: about 17% of a
    // worker's CPU at full hop rate (measured with --cpu-prof).
    noAsyncTraces: true,
  };
}

export async function connectNats(options: NatsConnectionOptions): Promise<NatsConnection> {
  const servers = describeServers(options);
  try {
    return await connect(clientOptions(options));
  } catch (error) {
    if (isAuthFailure(error))
      throw new NatsAuthError(
        servers,
        "the credentials were refused (check NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_NKEY or NATS_CREDS)",
      );
    if (ConfigError.isInstance(error)) throw error;
    throw new BusError(`Cannot connect to NATS at ${servers}: ${(error as Error)?.message ?? error}`, {
      isRetryable: true,
    });
  }
}
