// `npm run build`: compiles sdk/ to dist/ (ESM JavaScript; declarations for the library).
//
// Where you are: scripts/, developer tooling (run by `npm pack` through `prepack`). The library is
// compiled by tsc with declarations (tsconfig.build.json). sdk/cli/ is left out of that program: its
// commander definitions have inferred types that tsc cannot write as declarations within memory
// (they exhaust the heap), and the CLI is no public API (nothing imports it but bin/matrix.js). Its
// files are type-checked by `npm test` and only transpiled here, file by file, with esbuild.
import { execFileSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const require = createRequire(import.meta.url);
rmSync("dist", { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", "tsconfig.build.json"], {
  stdio: "inherit",
});
const cli = readdirSync("sdk/cli")
  .filter((name) => name.endsWith(".ts"))
  .map((name) => join("sdk/cli", name));
require("esbuild").buildSync({
  entryPoints: cli,
  outdir: "dist/cli",
  format: "esm",
  platform: "node",
  target: "node20",
  logLevel: "warning",
});
