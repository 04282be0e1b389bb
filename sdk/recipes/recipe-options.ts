/**
 * Options of `recipe(name, options)`: every recipe takes `home` (where its dataset is resolved) and
 * `dataset` (another file of the same format), and declares its own (max turns, thresholds, models)
 * as a zod schema, checked here so a misspelt option is a ConfigError naming it, never ignored.
 *
 * Where you are: `recipes/`.
 */
import { existsSync } from "node:fs";
import { isAbsolute, join } from "node:path";
import { z } from "zod";
import { ConfigError } from "../errors.js";
import { formatIssuePath } from "../schema/issue-path.js";

/** Options every recipe takes. */
export const BaseRecipeOptionsSchema = z.object({
  /** The repository root that `datasets/` is under. @default the working directory */
  home: z.string().optional(),
  /** Rows from this file instead of the shipped dataset (same record format; JSONL, .zst, Parquet). */
  dataset: z.string().min(1).optional(),
  /** Default model for every chat role of the recipe. */
  model: z.string().min(1).optional(),
});

export type RecipeOptions = z.input<typeof BaseRecipeOptionsSchema> & Record<string, unknown>;

/** Parses `options` with the recipe's schema (strict: unknown keys are refused). */
export function parseRecipeOptions<S extends z.ZodObject>(recipe: string, schema: S, options: unknown): z.output<S> {
  const result = schema.strict().safeParse(options ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const path = formatIssuePath(issue.path);
    const known = Object.keys(schema.shape).join(", ");
    const message =
      issue.code === "unrecognized_keys"
        ? `unknown option${issue.keys.length > 1 ? "s" : ""} ${issue.keys.map((key) => `'${key}'`).join(", ")} (options: ${known})`
        : issue.message;
    throw new ConfigError(`recipe('${recipe}')${path ? `.${path}` : ""}`, message);
  }
  return result.data as z.output<S>;
}

/** The dataset path: the option (as given, relative to the working directory), else the shipped file under `home`. */
export function datasetPath(options: { home?: string; dataset?: string }, shipped: string): string {
  if (options.dataset !== undefined) return options.dataset;
  const home = options.home ?? process.cwd();
  return isAbsolute(shipped) ? shipped : join(home, shipped);
}

/**
 * A recipe's runtime module (bundled with the run and shipped to workers), by its path under `sdk/`
 * without extension (`"recipes/tau/tau-module"`): the TypeScript source in a checkout, the compiled file
 * in an installed package, which has `dist/` and no `sdk/`.
 */
export function runtimeModule(home: string, path: string): string {
  const source = join(home, "sdk", `${path}.ts`);
  const compiled = join(home, "dist", `${path}.js`);
  return existsSync(source) || !existsSync(compiled) ? source : compiled;
}
