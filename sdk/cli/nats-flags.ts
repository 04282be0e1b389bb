/**
 * The NATS connection flags every NATS command shares (`worker`, `status`, `endpoint`, `run --bus
 * nats`), declared once with their environment fallbacks (shown in each command's help), and their
 * translation to connection options.
 *
 * Where you are: `cli/`, cheap to load (commander only). Flags win over NATS_* variables; the same rule
 * holds in `natsConnectionOptions` (bus/nats), which SDK users without the CLI go through. Secrets given
 * as flags end up in the process list; the help text says to prefer the environment or a creds file,
 * and commander never prints an environment variable's value.
 */
import { Option, type Command, type OptionValues } from "@commander-js/extra-typings";

/** Adds the NATS connection options to `command` (keeps the command's inferred option types). */
export function withNatsOptions<Args extends unknown[], Opts extends OptionValues, Globals extends OptionValues>(
  command: Command<Args, Opts, Globals>,
) {
  const nats = <T extends Option>(option: T) => option.helpGroup("NATS connection:");
  return command
    .addOption(
      nats(
        new Option("--nats <urls>", "NATS server(s), comma-separated (default nats://127.0.0.1:4222)").env("NATS_URL"),
      ),
    )
    .addOption(nats(new Option("--creds <file>", "NATS credentials file").env("NATS_CREDS")))
    .addOption(nats(new Option("--user <user>", "NATS user (with --password)").env("NATS_USER")))
    .addOption(
      nats(
        new Option(
          "--password <password>",
          "NATS password; prefer the environment: flags show in the process list",
        ).env("NATS_PASSWORD"),
      ),
    )
    .addOption(nats(new Option("--token <token>", "NATS token; prefer the environment").env("NATS_TOKEN")))
    .addOption(nats(new Option("--nkey <seed>", "NATS nkey seed; prefer the environment").env("NATS_NKEY")))
    .addOption(nats(new Option("--tls-ca <file>", "CA certificate for the NATS servers").env("NATS_TLS_CA")))
    .addOption(nats(new Option("--tls-cert <file>", "TLS client certificate (with --tls-key)").env("NATS_TLS_CERT")))
    .addOption(nats(new Option("--tls-key <file>", "TLS client key").env("NATS_TLS_KEY")));
}

export interface NatsFlagValues {
  nats?: string;
  user?: string;
  password?: string;
  token?: string;
  creds?: string;
  nkey?: string;
  tlsCa?: string;
  tlsCert?: string;
  tlsKey?: string;
}

/** The flags as `natsConnectionOptions` takes them; `name` is the client name the server shows. */
export function natsFlags(values: NatsFlagValues, name?: string) {
  return {
    servers: values.nats,
    user: values.user,
    password: values.password,
    token: values.token,
    creds: values.creds,
    nkey: values.nkey,
    tlsCa: values.tlsCa,
    tlsCert: values.tlsCert,
    tlsKey: values.tlsKey,
    name,
  };
}
