/**
 * Integration tests that need a program from the machine (jupyter, chromium): in CI (`CI=true`) a
 * missing program fails the test; elsewhere the test is skipped with a message saying what to install.
 */
import { existsSync } from "node:fs";

export function requireTool(path: string, install: string): boolean {
  if (existsSync(path)) return true;
  const message = `${path} is missing: ${install}`;
  if (process.env.CI === "true") throw new Error(message);
  process.stderr.write(`skipping: ${message}\n`);
  return false;
}
