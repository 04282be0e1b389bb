#!/usr/bin/env node
// The `matrix` command. In a checkout (sdk/ beside bin/), the TypeScript source runs through tsx, so
// an edit takes effect without a build. From the installed package (no sdk/, only dist/), the
// compiled JavaScript runs, and tsx is registered only when the command loads TypeScript: a
// .ts/.mts pipeline file, or `matrix export` (it evaluates a notebook's cells as a .mts module).
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const home = dirname(dirname(fileURLToPath(import.meta.url)));
process.env.MATRIX_HOME ??= home;
const argv = process.argv.slice(2);
const source = join(home, "sdk", "cli", "main.ts");
const fromSource = existsSync(source);
if (fromSource || argv.includes("export") || argv.some((arg) => /\.[cm]?tsx?$/.test(arg))) {
  const { register } = await import("tsx/esm/api");
  register();
}
const { main } = await import(pathToFileURL(fromSource ? source : join(home, "dist", "cli", "main.js")).href);
process.exitCode = await main(argv);
