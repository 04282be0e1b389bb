/**
 * Turns a pipeline definition into a script that `npx matrix run <script>` runs unchanged.
 *
 * Where you are: `pipeline/`. The script default-exports the plain definition (functions are already
 * source text in it), so it imports nothing and runs wherever it is copied; `Pipeline.fromJSON`
 * turns it back into a builder. A `.json` path gets the bare definition instead.
 *
 * Module paths (`.module(name, path)`) are written as given, not rewritten: they are relative to the
 * working directory of `matrix run`, as they were to the notebook's, so run the script from the same
 * project directory. The header lists them so whoever copies the script knows which files to bring.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { PipelineDefinition } from "../schema/pipeline-definition.js";

function modulesNote(definition: PipelineDefinition): string {
  const modules = Object.entries(definition.modules ?? {});
  if (modules.length === 0) return "";
  return (
    ` *\n` +
    ` * Modules (paths relative to the directory you run \`matrix run\` from; workers get them bundled):\n` +
    modules.map(([name, { path }]) => ` *   ctx.modules.${name}  ${path.replace(/\*\//g, "*\\/")}\n`).join("")
  );
}

export function exportScript(definition: PipelineDefinition, origin?: string): string {
  return (
    `/**\n` +
    ` * Pipeline '${definition.name}'${origin ? `, exported from ${origin}` : ""} by matrix-ts.\n` +
    ` *\n` +
    ` * Run it:            npx matrix run <this file> [--rows N] [--out DIR] [--llm URL]\n` +
    ` * Build on it in TS: Pipeline.fromJSON(definition).chat(...)  (import { Pipeline } from "matrix-ts")\n` +
    modulesNote(definition) +
    ` */\n` +
    `const definition = ${JSON.stringify(definition, null, 2)};\n\n` +
    `export default definition;\n`
  );
}

/** Writes the script (or JSON for a `.json` path) and returns the absolute path. */
export function exportPipeline(definition: PipelineDefinition, path: string, origin?: string): string {
  const target = resolve(path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(
    target,
    target.endsWith(".json") ? `${JSON.stringify(definition, null, 2)}\n` : exportScript(definition, origin),
  );
  return target;
}
