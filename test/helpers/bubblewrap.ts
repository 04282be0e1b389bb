/**
 * `describe` for suites that need bubblewrap (Debian `bubblewrap`): skipped with a message when it is
 * missing, failed in CI (CI=true), where .ci/run installs it.
 */
import { existsSync } from "node:fs";
import { describe, it } from "vitest";

export const bwrapBinary = ["/usr/bin/bwrap", "/usr/local/bin/bwrap", "/bin/bwrap"].find((path) => existsSync(path));

export function describeWithBwrap(name: string, body: () => void): void {
  if (bwrapBinary) {
    describe(name, body);
  } else if (process.env.CI === "true") {
    describe(name, () =>
      it("needs bubblewrap", () => {
        throw new Error("bubblewrap is not installed (apt-get install bubblewrap); CI must run these tests.");
      }),
    );
  } else {
    describe.skip(`${name} — skipped: bwrap not found (apt-get install bubblewrap)`, body);
  }
}
