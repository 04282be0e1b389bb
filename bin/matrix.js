#!/usr/bin/env node
// The `matrix` command. The SDK is TypeScript source; tsx loads it without a build step.
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { register } from "tsx/esm/api";

process.env.MATRIX_HOME ??= dirname(dirname(fileURLToPath(import.meta.url)));
register();
const { main } = await import(join(process.env.MATRIX_HOME, "sdk/cli/main.ts"));
process.exitCode = await main(process.argv.slice(2));
