/**
 * Inline functions travel as source text, like arquero's table expressions.
 *
 * Where you are: `flow/` (shared by flows, code agents and the pipeline builder). `toFunctionSource` turns a function into `{ fn: source }` and refuses
 * one that captures an outer variable (it would be undefined on a remote worker or in an exported
 * script); `compileFunction` turns source back into a callable, once per distinct source.
 */
import * as acorn from "acorn";
import * as walk from "acorn-walk";
import { CapturedVariableError, PipelineDefinitionError } from "../errors.js";
import type { FunctionSource } from "../schema/pipeline-definition.js";

/** Names a pipeline function may use without declaring them: JS built-ins, not Node's module scope. */
const ALLOWED_GLOBALS = new Set<string>([
  ...Object.getOwnPropertyNames(globalThis).filter(
    (name) => !["require", "module", "exports", "process"].includes(name),
  ),
  "undefined",
  "NaN",
  "Infinity",
  "arguments",
  // esbuild (tsx) and other transpilers wrap nested functions in __name(fn, "name") to keep names.
  "__name",
]);

/** The source text of `fn`, normalised so that it parses as an expression. */
function expressionSource(fn: Function): string {
  const text = fn.toString();
  if (parsesAsFunction(text)) return text;
  // Method shorthand (`stop(task) { ... }` inside an object literal) prints without `function`.
  const isAsync = /^\s*async\s/.test(text);
  return `${isAsync ? "async " : ""}function ${text.replace(/^\s*async\s+/, "")}`;
}

function parsesAsFunction(text: string): boolean {
  try {
    const program = acorn.parse(`(${text})`, { ecmaVersion: "latest", sourceType: "script" });
    const statement = program.body[0];
    if (program.body.length !== 1 || statement?.type !== "ExpressionStatement") return false;
    const type = (statement as acorn.ExpressionStatement).expression.type;
    return type === "ArrowFunctionExpression" || type === "FunctionExpression";
  } catch {
    return false;
  }
}

function parse(source: string, where: string): acorn.Expression {
  try {
    const program = acorn.parse(`(${source})`, { ecmaVersion: "latest", sourceType: "script" });
    const statement = program.body[0];
    if (statement?.type !== "ExpressionStatement") throw new Error("not an expression");
    const expression = (statement as acorn.ExpressionStatement).expression;
    if (expression.type !== "ArrowFunctionExpression" && expression.type !== "FunctionExpression") {
      throw new Error(`expected a function, got ${expression.type}`);
    }
    return expression;
  } catch (error) {
    throw new PipelineDefinitionError(where, `the function source does not parse: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function declaredNames(node: acorn.Node): Set<string> {
  const names = new Set<string>();
  const addPattern = (pattern: acorn.Pattern | null | undefined): void => {
    if (!pattern) return;
    switch (pattern.type) {
      case "Identifier":
        names.add(pattern.name);
        break;
      case "ObjectPattern":
        for (const property of pattern.properties) {
          addPattern(property.type === "RestElement" ? property.argument : property.value);
        }
        break;
      case "ArrayPattern":
        for (const element of pattern.elements) addPattern(element);
        break;
      case "RestElement":
        addPattern(pattern.argument);
        break;
      case "AssignmentPattern":
        addPattern(pattern.left);
        break;
      default:
        break;
    }
  };
  const visitFunction = (fn: acorn.Function): void => {
    if (fn.id) names.add(fn.id.name);
    for (const param of fn.params) addPattern(param);
  };
  walk.full(node, (child) => {
    switch (child.type) {
      case "ArrowFunctionExpression":
      case "FunctionExpression":
      case "FunctionDeclaration":
        visitFunction(child as acorn.Function);
        break;
      case "VariableDeclarator":
        addPattern((child as acorn.VariableDeclarator).id);
        break;
      case "CatchClause":
        addPattern((child as acorn.CatchClause).param);
        break;
      case "ClassDeclaration":
      case "ClassExpression": {
        const id = (child as acorn.Class).id;
        if (id) names.add(id.name);
        break;
      }
      default:
        break;
    }
  });
  return names;
}

/** Identifiers read by the function that it does not declare itself and that are not built-ins. */
export function freeVariables(source: string, where = "function"): string[] {
  const root = parse(source, where);
  const declared = declaredNames(root);
  const free = new Set<string>();
  walk.fullAncestor(root, (node, _state, ancestors) => {
    if (node.type !== "Identifier") return;
    const name = (node as acorn.Identifier).name;
    if (declared.has(name) || ALLOWED_GLOBALS.has(name)) return;
    const parent = ancestors[ancestors.length - 2];
    if (parent) {
      // `a.name` and `{ name: v }` use `name` as a label, not a variable.
      if (parent.type === "MemberExpression" && (parent as acorn.MemberExpression).property === node) {
        if (!(parent as acorn.MemberExpression).computed) return;
      }
      if (parent.type === "Property" && (parent as acorn.Property).key === node) {
        const property = parent as acorn.Property;
        if (!property.computed && !property.shorthand) return;
      }
      if (parent.type === "MethodDefinition" || parent.type === "PropertyDefinition") {
        if ((parent as acorn.MethodDefinition).key === node) return;
      }
      if (
        parent.type === "LabeledStatement" ||
        parent.type === "BreakStatement" ||
        parent.type === "ContinueStatement"
      ) {
        return;
      }
      if (parent.type === "MetaProperty") return;
    }
    free.add(name);
  });
  return [...free];
}

/** Stores `fn` by its source text; throws CapturedVariableError if it uses an outer variable. */
export function toFunctionSource(fn: Function | FunctionSource, where: string): FunctionSource {
  const source = typeof fn === "function" ? expressionSource(fn) : fn.fn;
  const [captured] = freeVariables(source, where);
  if (captured !== undefined) throw new CapturedVariableError(where, captured);
  return { fn: source };
}

const compiled = new Map<string, Function>();

/** Turns stored source back into a function. Compiled once per distinct source text. */
export function compileFunction<F extends Function>(source: FunctionSource, where: string): F {
  let fn = compiled.get(source.fn);
  if (fn === undefined) {
    parse(source.fn, where);
    try {
      // `__name` is the identity: see ALLOWED_GLOBALS.
      fn = new Function("__name", `"use strict"; return (${source.fn});`)((f: unknown) => f) as Function;
    } catch (error) {
      throw new PipelineDefinitionError(where, `the function does not compile: ${(error as Error).message}`, {
        cause: error,
      });
    }
    compiled.set(source.fn, fn);
  }
  return fn as F;
}
