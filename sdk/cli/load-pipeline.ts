/**
 * Finds the pipeline a CLI command was pointed at: a recipe name, a `.json` definition, or a script
 * (`.ts`/`.js`/`.mjs`) whose default export (or `pipeline` export) is a Pipeline or a definition.
 *
 * Where you are: `cli/`.
 */
import { existsSync, readFileSync } from "node:fs";
import { extname, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError, MatrixError } from "../errors.js";
import { Pipeline } from "../pipeline/pipeline.js";
import { recipe, recipeNames } from "../recipes/index.js";

function asPipeline(value: unknown, where: string): Pipeline {
  if (value instanceof Pipeline) return value;
  if (typeof value === "object" && value !== null && typeof (value as Pipeline).toJSON === "function") {
    // A Pipeline from another copy of the SDK (e.g. a script importing the package by name).
    return Pipeline.fromJSON((value as Pipeline).toJSON());
  }
  if (typeof value === "object" && value !== null && (value as { format?: unknown }).format === "matrix-pipeline/1") {
    return Pipeline.fromJSON(value);
  }
  throw new ConfigError("pipeline", `${where} does not export a pipeline (export default pipeline(...))`);
}

/** `options`: `home`, and a recipe's own options (refused for a file: they would be ignored). */
export async function loadPipeline(
  target: string,
  options: { home?: string } & Record<string, unknown> = {},
): Promise<Pipeline> {
  const path = resolve(target);
  if (!existsSync(path)) {
    const made = recipe(target, options);
    if (made) return made;
    throw new ConfigError("pipeline", `'${target}' is neither a recipe (${recipeNames().join(", ")}) nor a file`);
  }
  const { home: _home, ...recipeOnly } = options;
  if (Object.keys(recipeOnly).length > 0)
    throw new ConfigError(
      "--option",
      `recipe options (${Object.keys(recipeOnly).join(", ")}) apply to recipes, not to the file '${target}'`,
    );
  const extension = extname(path);
  if (extension === ".json") {
    try {
      return Pipeline.fromJSON(readFileSync(path, "utf8"));
    } catch (error) {
      if (MatrixError.isInstance(error)) error.message = `${target}: ${error.message}`;
      throw error;
    }
  }
  if ([".ts", ".mts", ".js", ".mjs", ".cjs"].includes(extension)) {
    const module = (await import(pathToFileURL(path).href)) as { default?: unknown; pipeline?: unknown };
    return asPipeline(module.default ?? module.pipeline, target);
  }
  throw new ConfigError("pipeline", `cannot load '${target}': expected a recipe name, .json, .ts or .js`);
}
