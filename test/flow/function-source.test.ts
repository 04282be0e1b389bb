import { describe, expect, it } from "vitest";
import { CapturedVariableError, MatrixError } from "../../sdk/errors.js";
import { compileFunction, freeVariables, toFunctionSource } from "../../sdk/flow/function-source.js";

describe("function source", () => {
  it("stores a self-contained function and compiles it back", () => {
    const source = toFunctionSource(
      (task: { state: { n: number } }, ctx: { params: { k: number } }) => task.state.n * ctx.params.k,
      "test",
    );
    const fn = compileFunction<(t: unknown, c: unknown) => number>(source, "test");
    expect(fn({ state: { n: 3 } }, { params: { k: 2 } })).toBe(6);
  });

  it("refuses a function that captures an outer variable, naming it", () => {
    const limit = 3;
    let error: unknown;
    try {
      toFunctionSource((task: { hops: number }) => task.hops > limit, "flow.stop");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CapturedVariableError);
    expect(MatrixError.isInstance(error)).toBe(true);
    expect((error as CapturedVariableError).variable).toBe("limit");
    expect((error as Error).message).toContain("flow.stop");
    expect((error as Error).message).toContain("params");
  });

  it("tells locals, parameters, properties and built-ins from free variables", () => {
    const source = `(task, { params }) => {
      const words = String(task.row.text).split(/\\s+/);
      function count(list) { let n = 0; for (const w of list) n += w.length; return n; }
      try { JSON.parse("{}"); } catch (err) { return err; }
      const o = { total: count(words), max: Math.max(1, 2), p: params.x };
      return o.total > outer ? label.value : o;
    }`;
    expect(freeVariables(source).sort()).toEqual(["label", "outer"]);
  });

  it("handles method shorthand and async functions", () => {
    const holder = {
      stop(task: { n: number }) {
        return task.n > 2;
      },
    };
    const source = toFunctionSource(holder.stop, "m");
    expect(compileFunction<(t: { n: number }) => boolean>(source, "m")({ n: 3 })).toBe(true);
    const asyncSource = toFunctionSource(async (t: { n: number }) => t.n + 1, "a");
    return expect(compileFunction<(t: { n: number }) => Promise<number>>(asyncSource, "a")({ n: 1 })).resolves.toBe(2);
  });

  it("accepts minified arrows as transpilers print them", () => {
    const minified = async () => undefined;
    minified.toString = () => "async()=>{const r=globalThis.x;return void 0}";
    const source = toFunctionSource(minified, "m");
    expect(source.fn).toBe("async()=>{const r=globalThis.x;return void 0}");
    expect(freeVariables(source.fn)).toEqual([]);
  });

  it("does not let a function reach Node's module scope", () => {
    expect(() => toFunctionSource({ fn: "() => require('fs')" }, "x")).toThrow(/require/);
    expect(() => toFunctionSource({ fn: "() => process.exit(1)" }, "x")).toThrow(/process/);
  });
});
