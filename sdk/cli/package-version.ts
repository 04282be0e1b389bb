/**
 * The package's version, read from MATRIX_HOME/package.json (bin/matrix.js sets MATRIX_HOME to the
 * repository): `matrix --version` prints it and workers report it in their heartbeats.
 *
 * Where you are: `cli/`, cheap to load.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export function packageVersion(home: string | undefined): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(home ?? process.cwd(), "package.json"), "utf8")) as { version?: string })
      .version;
  } catch {
    return undefined;
  }
}
