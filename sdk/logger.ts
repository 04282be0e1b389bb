/**
 * The one root pino logger. Stages take `logger.child({ runId, role, agent, ... })` (style-anchors §6.13);
 * task-related lines add `taskId`.
 *
 * Where you are: the SDK root, beside errors.ts; anything may import it. Logs go to stderr so they never
 * mix with data on stdout: pretty (pino-pretty) when stderr is a terminal, one JSON object a line
 * otherwise, at `MATRIX_LOG_LEVEL` (default `warn`) or what `configureLogging` / `--log-level` set.
 * Two layers keep secrets out: credential-looking fields are redacted wherever they sit in a logged
 * object, and every string of a line (message and fields) is scrubbed of the secrets the process
 * registered (sdk/secrets.ts: LLM API keys, NATS passwords and tokens), so a key inside an error
 * message is not printed either.
 */
import pino, { type DestinationStream, type Level, type Logger } from "pino";
import pretty from "pino-pretty";
import { scrub } from "./secrets.js";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const REDACTED_PATHS = [
  "apiKey",
  "*.apiKey",
  "*.*.apiKey",
  "endpoints[*].apiKey",
  "*.endpoints[*].apiKey",
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
  "nkeySeed",
  "*.nkeySeed",
];

export interface LoggingOptions {
  /** @default MATRIX_LOG_LEVEL, else "warn" */
  level?: LogLevel;
  /** Human-readable lines instead of JSON. @default whether stderr is a terminal */
  pretty?: boolean;
  /** Where lines go (tests pass a stream). @default stderr */
  destination?: DestinationStream;
}

/** Scrubs registered secrets from every string, a few levels deep (log objects are small). */
function scrubValue(value: unknown, depth: number): unknown {
  if (typeof value === "string") return scrub(value);
  if (depth <= 0 || typeof value !== "object" || value === null) return value;
  // An error's message and stack are not enumerable: serialize it first (as pino would), then scrub.
  if (value instanceof Error) return scrubValue(pino.stdSerializers.err(value), depth);
  if (Array.isArray(value)) return value.map((item) => scrubValue(item, depth - 1));
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) out[key] = scrubValue(child, depth - 1);
  return out;
}

function checkedLevel(level: string | undefined): LogLevel {
  if (level === undefined || level === "") return "warn";
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  // The logger cannot throw a ConfigError (errors.ts sits beside it, but a bad env var must not stop
  // every import): fall back and say so on the first line.
  return "warn";
}

/** A logger with the SDK's redaction and format, not installed as the root (tests, embedding apps). */
export function createLogger(options: LoggingOptions = {}): Logger {
  const level = options.level ?? checkedLevel(process.env.MATRIX_LOG_LEVEL);
  const destination =
    options.destination ??
    ((options.pretty ?? Boolean(process.stderr.isTTY))
      ? pretty({ destination: 2, sync: true, colorize: Boolean(process.stderr.isTTY), ignore: "pid,hostname" })
      : pino.destination({ dest: 2, sync: true }));
  return pino(
    {
      level,
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
      // `formatters.log` below has already serialized (and scrubbed) errors; keep that result.
      serializers: { err: (value: unknown) => (value instanceof Error ? pino.stdSerializers.err(value) : value) },
      formatters: { log: (object) => scrubValue(object, 6) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((arg) => (typeof arg === "string" ? scrub(arg) : arg)) as Parameters<typeof method>,
          );
        },
      },
    },
    destination,
  );
}

let root: Logger | undefined;

export function rootLogger(): Logger {
  if (root === undefined) {
    root = createLogger();
    const asked = process.env.MATRIX_LOG_LEVEL;
    if (asked && checkedLevel(asked) !== asked)
      root.warn({ MATRIX_LOG_LEVEL: asked }, `unknown log level; use one of ${LOG_LEVELS.join(", ")}`);
  }
  return root;
}

/**
 * Replaces the root logger (the CLI's `--log-level`, or a notebook wanting `debug`). Loggers already
 * handed out as children keep the old settings, so call this before starting runs.
 */
export function configureLogging(options: LoggingOptions): Logger {
  root = createLogger(options);
  return root;
}

/** Whether `value` names a log level (for option checks). */
export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export type { Level };
