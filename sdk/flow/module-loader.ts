/**
 * Pipeline modules (`.module(name, path)`): bundled with esbuild, evaluated as CommonJS, handed to
 * inline functions as `ctx.modules.<name>`. A `.json` path is data: the module is its parsed value.
 *
 * Where you are: `flow/` (tier 2, beside function-source: both turn what a definition names into
 * code). One loader for every place a pipeline runs: a tsx ESM script, a tslab CommonJS kernel and a
 * remote worker all evaluate the same CommonJS bundle text with the same kind of `require`, so a
 * module behaves the same everywhere and a worker needs only the bundle its driver shipped, never
 * the file. npm packages stay external (`packages: "external"`): they resolve where the bundle is
 * evaluated, from the working directory, else from the SDK's own install (MATRIX_HOME).
 */
import { createHash } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { compileFunction } from "node:vm";
import { build, type Message } from "esbuild";
import { ModuleLoadError, PipelineDefinitionError } from "../errors.js";

export interface ModuleRef {
  path: string;
}

/** A module's bundle: CommonJS text with npm imports left as `require` calls. */
export interface ModuleBundle {
  name: string;
  path: string;
  code: string;
}

/** Throws PipelineDefinitionError naming `modules.<name>` when a module's file is missing. Synchronous, for `run()`. */
export function checkModulePaths(modules: Readonly<Record<string, ModuleRef>> | undefined, cwd = process.cwd()): void {
  for (const [name, { path }] of Object.entries(modules ?? {})) {
    const file = resolve(cwd, path);
    if (!existsSync(file) || !statSync(file).isFile()) {
      throw new PipelineDefinitionError(
        `modules.${name}`,
        `no file at '${path}' (resolved to ${file}; module paths are relative to the working directory)`,
      );
    }
  }
}

function formatMessage(message: Message): string {
  const where = message.location
    ? `${message.location.file}:${message.location.line}:${message.location.column + 1}: `
    : "";
  return `${where}${message.text}`;
}

/**
 * A JSON file as a module: `ctx.modules.<name>` is its parsed value (data a pipeline's functions read,
 * shipped to workers like code). Parsed with JSON.parse at load, which is much faster than evaluating
 * the same data as a JS literal.
 */
async function bundleJson(name: string, path: string, cwd: string): Promise<ModuleBundle> {
  const text = await readFile(resolve(cwd, path), "utf8");
  try {
    JSON.parse(text);
  } catch (error) {
    throw new PipelineDefinitionError(`modules.${name}`, `'${path}' is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return { name, path, code: `module.exports = JSON.parse(${JSON.stringify(text)});\n` };
}

/** Bundles one module. A missing file or a bundling error is a PipelineDefinitionError naming `modules.<name>` and the path. */
export async function bundleModule(name: string, path: string, cwd = process.cwd()): Promise<ModuleBundle> {
  checkModulePaths({ [name]: { path } }, cwd);
  if (path.toLowerCase().endsWith(".json")) return bundleJson(name, path, cwd);
  try {
    const result = await build({
      entryPoints: [resolve(cwd, path)],
      absWorkingDir: cwd,
      bundle: true,
      platform: "node",
      format: "cjs",
      packages: "external",
      target: "node20",
      write: false,
      logLevel: "silent",
    });
    return { name, path, code: result.outputFiles[0]!.text };
  } catch (error) {
    const errors = (error as { errors?: Message[] }).errors;
    const detail = errors?.length ? errors.slice(0, 3).map(formatMessage).join("; ") : (error as Error).message;
    throw new PipelineDefinitionError(`modules.${name}`, `'${path}' does not bundle: ${detail}`, { cause: error });
  }
}

/** Bundles every module of a definition, by name. */
export async function bundleModules(
  modules: Readonly<Record<string, ModuleRef>> | undefined,
  cwd = process.cwd(),
): Promise<Record<string, ModuleBundle>> {
  const entries = await Promise.all(
    Object.entries(modules ?? {}).map(async ([name, { path }]) => [name, await bundleModule(name, path, cwd)] as const),
  );
  return Object.fromEntries(entries);
}

/**
 * `require` for a bundle: from `cwd` (the project's node_modules), falling back to the SDK's install,
 * so a worker started from another directory (or a bundle needing zod) still finds the packages.
 */
function moduleRequire(cwd: string): NodeJS.Require {
  const local = createRequire(join(cwd, "noop.js"));
  const home = process.env.MATRIX_HOME ? createRequire(join(process.env.MATRIX_HOME, "package.json")) : undefined;
  if (home === undefined) return local;
  const pick = (id: string): NodeJS.Require => {
    try {
      local.resolve(id);
      return local;
    } catch {
      return home;
    }
  };
  const require = ((id: string) => pick(id)(id)) as NodeJS.Require;
  return Object.assign(require, {
    resolve: Object.assign((id: string, options?: { paths?: string[] }) => pick(id).resolve(id, options), {
      paths: (id: string) => local.resolve.paths(id),
    }),
    cache: local.cache,
    extensions: local.extensions,
    main: local.main,
  });
}

/** Loaded exports by bundle hash: the same code is evaluated once per process (module state persists). */
const loaded = new Map<string, unknown>();

/** Evaluates a bundle as a CommonJS module and returns its exports. A throw at load is a ModuleLoadError. */
export function loadModule(bundle: ModuleBundle, cwd = process.cwd()): unknown {
  const hash = createHash("sha256").update(bundle.code).digest("hex");
  if (loaded.has(hash)) return loaded.get(hash);
  const filename = resolve(cwd, bundle.path);
  const module = { exports: {} as unknown };
  try {
    // The file name makes stack traces point at the module as the user named it.
    const fn = compileFunction(bundle.code, ["exports", "require", "module", "__filename", "__dirname"], {
      filename,
    });
    fn(module.exports, moduleRequire(cwd), module, filename, dirname(filename));
  } catch (error) {
    throw new ModuleLoadError(bundle.name, bundle.path, (error as Error)?.message ?? String(error), { cause: error });
  }
  loaded.set(hash, module.exports);
  return module.exports;
}

/** Loads every bundle: what agents get as `ctx.modules`. */
export function loadModules(
  bundles: Readonly<Record<string, ModuleBundle>>,
  cwd = process.cwd(),
): Record<string, unknown> {
  return Object.fromEntries(Object.entries(bundles).map(([name, bundle]) => [name, loadModule(bundle, cwd)]));
}
