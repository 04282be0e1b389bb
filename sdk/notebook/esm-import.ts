/**
 * Loads an ESM-only package both under tslab (CommonJS) and under tsx/vitest (ESM).
 *
 * Where you are: `notebook/`. See esm-import.cjs for why CommonJS needs a helper file.
 */

declare const require: NodeJS.Require | undefined;

export async function esmImport<T>(specifier: string): Promise<T> {
  if (typeof require === "function") {
    // CommonJS (tslab): `import()` here would be compiled into `require()`.
    const helper = require("./esm-import.cjs") as { esmImport(specifier: string): Promise<T> };
    return helper.esmImport(specifier);
  }
  return (await import(specifier)) as T;
}
