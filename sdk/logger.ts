/**
 * The one root pino logger. Stages take `logger.child({ runId, role, ... })` (style-anchors §6.13).
 *
 * Where you are: the SDK root, beside errors.ts; anything may import it. Logs go to stderr so they
 * never mix with data on stdout, at `MATRIX_LOG_LEVEL` (default `warn`). Credential-looking fields are
 * redacted wherever they appear in a logged object.
 */
import pino, { type Logger } from "pino";

export const REDACTED_PATHS = [
  "apiKey",
  "*.apiKey",
  "*.*.apiKey",
  "password",
  "*.password",
  "token",
  "*.token",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "*.headers.authorization",
  "creds",
  "*.creds",
  "nkey",
  "*.nkey",
];

let root: Logger | undefined;

export function rootLogger(): Logger {
  root ??= pino(
    { level: process.env.MATRIX_LOG_LEVEL ?? "warn", redact: { paths: REDACTED_PATHS, censor: "[redacted]" } },
    pino.destination({ dest: 2, sync: true }),
  );
  return root;
}
