/**
 * How to reach NATS: servers and credentials from flags, else the environment (NATS_URL, NATS_CREDS,
 * NATS_USER, NATS_PASSWORD, NATS_TOKEN, NATS_NKEY, NATS_TLS_CA, NATS_TLS_CERT, NATS_TLS_KEY).
 *
 * Where you are: `bus/nats/`. The options object holds secrets: never log it whole; `describeServers`
 * is the only part safe to print. Flags win over the environment, field by field.
 */
import { ConfigError } from "../../errors.js";
import { registerSecret } from "../../secrets.js";

export interface NatsConnectionOptions {
  /** One or more `nats://host:port` URLs. @default "nats://127.0.0.1:4222" */
  servers: string[];
  user?: string;
  password?: string;
  token?: string;
  /** Path to a `.creds` file (JWT + nkey seed). */
  credsFile?: string;
  /** An nkey seed (`SU...`), for nkey authentication. */
  nkeySeed?: string;
  /** TLS: CA, client certificate and key files. Any of them turns TLS on. */
  tls?: { caFile?: string; certFile?: string; keyFile?: string };
  /** The connection name shown by the server's monitoring. */
  name?: string;
}

export interface NatsFlags {
  servers?: string;
  user?: string;
  password?: string;
  token?: string;
  creds?: string;
  nkey?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
  name?: string;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/** Moves `user:password@` out of URLs into fields, so URLs stay printable. */
function splitUrlCredentials(url: string, out: { user?: string; password?: string; token?: string }): string {
  const match = /^([a-z]+:\/\/)([^@/]+)@(.+)$/i.exec(url);
  if (!match) return url.includes("://") ? url : `nats://${url}`;
  const [, scheme, auth, rest] = match;
  const [user, password] = auth!.split(":");
  if (password === undefined) out.token ??= decodeURIComponent(user!);
  else {
    out.user ??= decodeURIComponent(user!);
    out.password ??= decodeURIComponent(password);
  }
  return `${scheme}${rest}`;
}

/** Builds connection options from CLI flags (or SDK options) and the environment. */
export function natsConnectionOptions(
  flags: NatsFlags = {},
  env: NodeJS.ProcessEnv = process.env,
): NatsConnectionOptions {
  const secrets: { user?: string; password?: string; token?: string } = {
    user: nonEmpty(flags.user) ?? nonEmpty(env.NATS_USER),
    password: nonEmpty(flags.password) ?? nonEmpty(env.NATS_PASSWORD),
    token: nonEmpty(flags.token) ?? nonEmpty(env.NATS_TOKEN),
  };
  const serverList = nonEmpty(flags.servers) ?? nonEmpty(env.NATS_URL) ?? "nats://127.0.0.1:4222";
  const servers = serverList
    .split(",")
    .map((url) => url.trim())
    .filter((url) => url !== "")
    .map((url) => splitUrlCredentials(url, secrets));
  if (secrets.user !== undefined && secrets.password === undefined)
    throw new ConfigError("NATS_PASSWORD", "a NATS user was given without a password");
  const tls = {
    caFile: nonEmpty(flags.tlsCa) ?? nonEmpty(env.NATS_TLS_CA),
    certFile: nonEmpty(flags.tlsCert) ?? nonEmpty(env.NATS_TLS_CERT),
    keyFile: nonEmpty(flags.tlsKey) ?? nonEmpty(env.NATS_TLS_KEY),
  };
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined))
    throw new ConfigError("NATS_TLS_CERT", "a TLS client certificate and its key go together");
  // Log lines are scrubbed of these wherever they turn up (sdk/secrets.ts).
  for (const secret of [secrets.password, secrets.token, nonEmpty(flags.nkey) ?? nonEmpty(env.NATS_NKEY)])
    registerSecret(secret);
  const options: NatsConnectionOptions = { servers };
  if (secrets.user !== undefined) options.user = secrets.user;
  if (secrets.password !== undefined) options.password = secrets.password;
  if (secrets.token !== undefined) options.token = secrets.token;
  const credsFile = nonEmpty(flags.creds) ?? nonEmpty(env.NATS_CREDS);
  if (credsFile !== undefined) options.credsFile = credsFile;
  const nkeySeed = nonEmpty(flags.nkey) ?? nonEmpty(env.NATS_NKEY);
  if (nkeySeed !== undefined) options.nkeySeed = nkeySeed;
  if (tls.caFile || tls.certFile) options.tls = Object.fromEntries(Object.entries(tls).filter(([, v]) => v));
  if (flags.name) options.name = flags.name;
  return options;
}

/** The servers, safe to print (no credentials: they were moved out of the URLs). */
export function describeServers(options: NatsConnectionOptions): string {
  return options.servers.join(",");
}
