/**
 * Named pipelines shipped with the SDK: `matrix run <name>` and `recipe(name)`.
 *
 * Where you are: `recipes/`, a leaf above `pipeline/`. Add a recipe by adding a file and a line here.
 */
import type { Pipeline } from "../pipeline/pipeline.js";
import { coral } from "./coral/coral.js";
import { naturalReasoning } from "./natural-reasoning/natural-reasoning.js";
import { codeVerify } from "./code-verify/code-verify.js";
import { quickstart } from "./quickstart.js";
import type { RecipeOptions } from "./recipe-options.js";
import { tau } from "./tau/tau.js";

const RECIPES: Record<string, (options: RecipeOptions) => Pipeline> = {
  quickstart,
  coral,
  "natural-reasoning": naturalReasoning,
  tau,
  "code-verify": codeVerify,
};

export function recipeNames(): string[] {
  return Object.keys(RECIPES);
}

/**
 * The recipe `name`, built with `options`: `home` (the repo root its datasets are under; default: cwd),
 * `dataset` (another file in the same record format), `model`, and the recipe's own (e.g. coral's
 * `maxTurns`, natural-reasoning's `thresholds`). An unknown option is a ConfigError naming it.
 */
export function recipe(name: string, options: RecipeOptions = {}): Pipeline | undefined {
  return RECIPES[name]?.(options);
}
