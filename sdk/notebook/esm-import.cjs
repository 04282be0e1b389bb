// A real `import()` for ESM-only packages that have top-level await (vega, vega-lite).
//
// Where you are: sdk/notebook. tslab compiles cells and SDK modules to CommonJS and turns every
// `import()` into `require()`, which cannot load a module with top-level await
// (ERR_REQUIRE_ASYNC_MODULE). Plain .cjs files are not transpiled, so this `import()` stays real.
"use strict";
exports.esmImport = (specifier) => import(specifier);
