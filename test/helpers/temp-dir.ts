/**
 * A fresh temporary directory for a test, removed when that test finishes (pass or fail).
 *
 * Where you are: test helpers. `onTestFinished` binds the clean-up to the test that asked. Outside a
 * test (a `beforeAll`), hooks registered then never run, so those directories are kept in a list that
 * this file's own `afterAll` empties: it is registered when a test file imports this helper, on that
 * file's root suite (vitest evaluates helpers once per test file).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, onTestFinished } from "vitest";

const outsideTests = new Set<string>();

afterAll(() => {
  for (const dir of outsideTests) rmSync(dir, { recursive: true, force: true });
  outsideTests.clear();
});

export function tempDir(prefix = "matrix-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  } catch {
    outsideTests.add(dir);
  }
  return dir;
}
