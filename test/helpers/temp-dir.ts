/**
 * A fresh temporary directory for a test, removed when that test finishes (pass or fail).
 *
 * Where you are: test helpers. `onTestFinished` binds the clean-up to the test that asked; outside a
 * test (a `beforeAll`), the directory is removed after the enclosing suite instead.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, onTestFinished } from "vitest";

export function tempDir(prefix = "matrix-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    onTestFinished(remove);
  } catch {
    afterAll(remove);
  }
  return dir;
}
