// Starts the project's own tslab with the project's type-checking rules.
//
// Where you are: kernels/matrix-ts, the Jupyter kernelspec (kernel.json runs this file from the
// project root). tslab type-checks every cell *and every SDK module a cell imports* with fixed
// compiler options that leave `strict` off; the SDK is written for strict mode (tsconfig.json), and
// without strictNullChecks TypeScript cannot narrow unions such as `{ success: true } | { success:
// false; issues }`, so imports of correct SDK code would fail to compile. We therefore turn on the
// strict checks the project uses, but keep implicit `any` allowed so quick notebook cells stay easy.
// tslab also re-checks every imported module with its bundled TypeScript 5.0; the SDK under sdk/ is
// already checked by the project's own TypeScript in `npm test`, and the older compiler reports false
// errors there (it infers some types differently), so its diagnostics are dropped for sdk/ files.
// Cells and any notebook-local modules outside sdk/ are still checked.
// Two more patches, each in its own file: side-effect imports stay visible to later cells
// (side-effect-imports.cjs), and a cell's last value is shown with its rich display (cell-values.cjs).
// And the kernel ends with the Jupyter process that started it (parent-watch.cjs).
"use strict";
const path = require("node:path");
require("./parent-watch.cjs").exitWithParent();
const id = require.resolve("@tslab/typescript-for-tslab", { paths: [require.resolve("tslab")] });
const ts = require(id);

// The module's exports are read-only getters, so tslab gets a copy that forwards every export
// (tslab's `__importStar` copies own properties only) and overrides this one function.
const OVERRIDDEN = new Set(["createWatchCompilerHost", "getPreEmitDiagnosticsOfFiles"]);
const createWatchCompilerHost = ts.createWatchCompilerHost;
const getPreEmitDiagnosticsOfFiles = ts.getPreEmitDiagnosticsOfFiles;
const sdkDir = path.join(process.cwd(), "sdk") + path.sep;
const patched = {};
for (const key of Object.keys(ts)) {
  if (!OVERRIDDEN.has(key)) Object.defineProperty(patched, key, { enumerable: true, get: () => ts[key] });
}
Object.defineProperty(patched, "createWatchCompilerHost", {
  enumerable: true,
  value: (rootFiles, options, ...rest) =>
    createWatchCompilerHost(rootFiles, { ...options, strict: true, noImplicitAny: false }, ...rest),
});
Object.defineProperty(patched, "getPreEmitDiagnosticsOfFiles", {
  enumerable: true,
  value: (program, files) =>
    getPreEmitDiagnosticsOfFiles(
      program,
      files.filter((file) => !path.resolve(file.fileName).startsWith(sdkDir)),
    ),
});
require.cache[id].exports = patched;

require("./side-effect-imports.cjs").keepSideEffectImports(require("tslab/dist/converter"), ts);
require("./cell-values.cjs").showRichValues(require("tslab/dist/executor"), require("tslab/dist/jupyter"));

require("tslab/dist/main.js").main();
