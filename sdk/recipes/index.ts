/**
 * Named pipelines shipped with the SDK: `matrix run <name>` and `recipe(name)`.
 *
 * Where you are: `recipes/`, a leaf above `pipeline/`. Add a recipe by adding a file and a line here.
 */
import type { Pipeline } from "../pipeline/pipeline.js";
import { quickstart } from "./quickstart.js";

const RECIPES: Record<string, (options: { home?: string }) => Pipeline> = {
  quickstart,
};

export function recipeNames(): string[] {
  return Object.keys(RECIPES);
}

/** The recipe `name`, with its datasets resolved under `home` (the repo root; default: cwd). */
export function recipe(name: string, options: { home?: string } = {}): Pipeline | undefined {
  return RECIPES[name]?.(options);
}
