/**
 * A pino logger that keeps its lines in memory, for tests whose code logs on purpose (an expected
 * error): the lines can be asserted and never reach the CI output.
 *
 * Where you are: test helpers. Pass `logger` to `run()`, a bus or a worker in place of the root logger.
 */
import pino, { type Logger } from "pino";
import { REDACTED_PATHS } from "../../sdk/logger.js";

export interface TestLogger {
  logger: Logger;
  /** Parsed JSON lines, oldest first. */
  readonly lines: Array<Record<string, unknown> & { level: number; msg: string }>;
}

export function testLogger(level = "debug"): TestLogger {
  const lines: TestLogger["lines"] = [];
  const logger = pino(
    { level, redact: { paths: REDACTED_PATHS, censor: "[redacted]" } },
    { write: (line: string) => void lines.push(JSON.parse(line)) },
  );
  return { logger, lines };
}
