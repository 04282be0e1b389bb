// Keeps a cell's side-effect imports (`import "./sdk/notebook/index";`) visible to later cells.
//
// Where you are: kernels/matrix-ts, loaded by start-tslab.cjs before tslab starts. tslab type-checks
// each cell against a declaration file of what earlier cells declared (`__prev__.d.ts`). That file
// keeps named imports but drops side-effect imports, so a module augmentation brought in by one
// (`run.watch()` from sdk/notebook) vanishes after its cell: the next cell fails with "Property
// 'watch' does not exist on type 'Run'". We append every side-effect import a cell made (once the
// cell compiled) to the declarations tslab carries forward.
"use strict";

/** Wraps tslab's createConverter so converters carry side-effect imports forward. */
exports.keepSideEffectImports = (converterModule, ts) => {
  const createConverter = converterModule.createConverter;
  converterModule.createConverter = (options) => {
    const converter = createConverter(options);
    const imports = new Set();
    const convert = converter.convert;
    converter.convert = (prevDecl, src) => {
      const result = convert(prevDecl, src);
      if (result.diagnostics.length > 0) return result;
      for (const specifier of sideEffectImports(ts, src)) imports.add(specifier);
      if (imports.size === 0) return result;
      const lines = [...imports].map((specifier) => `import ${JSON.stringify(specifier)};\n`).join("");
      return { ...result, declOutput: lines + (result.declOutput ?? "") };
    };
    return converter;
  };
};

function sideEffectImports(ts, src) {
  const file = ts.createSourceFile("cell.ts", src, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  return file.statements
    .filter((statement) => ts.isImportDeclaration(statement) && !statement.importClause)
    .map((statement) => statement.moduleSpecifier.text);
}
