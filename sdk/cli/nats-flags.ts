/**
 * The NATS connection flags every NATS command shares (`worker`, `status`, `run --bus nats`), and
 * their translation to connection options (flags win over NATS_* environment variables).
 *
 * Where you are: `cli/`. Secrets given as flags end up in the process list; the help text says to
 * prefer the environment or a creds file.
 */
export const NATS_FLAG_OPTIONS = {
  nats: { type: "string" },
  user: { type: "string" },
  password: { type: "string" },
  token: { type: "string" },
  creds: { type: "string" },
  nkey: { type: "string" },
  "tls-ca": { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
} as const;

export const NATS_FLAG_HELP = `  --nats URL[,URL]    NATS server(s) (default NATS_URL, else nats://127.0.0.1:4222)
  --creds FILE        credentials file (NATS_CREDS)
  --user U --password P   user and password (NATS_USER, NATS_PASSWORD)
  --token T           token (NATS_TOKEN)
  --nkey SEED         nkey seed (NATS_NKEY)
  --tls-ca/--tls-cert/--tls-key FILE   TLS files (NATS_TLS_CA, NATS_TLS_CERT, NATS_TLS_KEY)
  Prefer the environment or a creds file for secrets: flags show in the process list.
`;

export interface NatsFlagValues {
  nats?: string;
  user?: string;
  password?: string;
  token?: string;
  creds?: string;
  nkey?: string;
  "tls-ca"?: string;
  "tls-cert"?: string;
  "tls-key"?: string;
}

export function natsFlags(values: NatsFlagValues, name?: string) {
  return {
    servers: values.nats,
    user: values.user,
    password: values.password,
    token: values.token,
    creds: values.creds,
    nkey: values.nkey,
    tlsCa: values["tls-ca"],
    tlsCert: values["tls-cert"],
    tlsKey: values["tls-key"],
    name,
  };
}
