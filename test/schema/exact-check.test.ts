/**
 * The fast yes/no in front of zod (`sdk/schema/exact-check.ts`): a yes must mean zod accepts the value
 * and returns it unchanged, or a boundary would let through what zod rejects. Checked on rich tasks
 * and on every one-step mutation of them (each field removed, given a wrong value, given an extra
 * key); a schema holding anything JSON Schema cannot state gets no fast check at all.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { exactCheck } from "../../sdk/schema/exact-check.js";
import { TaskSchema, type Task } from "../../sdk/schema/task.js";

const base: Task = {
  id: "row-7#1",
  runId: "run-1",
  rowId: "row-7",
  trial: 1,
  seed: -42,
  row: { question: "What is 6 × 7?", tags: ["math", 3], nested: { deep: [null, true] } },
  history: [],
  state: { turns: 2, agreement: 0.5, notes: null },
  cursor: "teacher",
  status: "running",
  attempt: 0,
  hops: 3,
  usage: { teacher: { promptTokens: 120, completionTokens: 48, calls: 2 } },
  timestamps: { created: 1_765_000_000_000 },
};

const rich: Task = {
  ...base,
  row: null,
  rowRef: { ref: "sha256-abc", bytes: 4096 },
  history: [
    {
      role: "teacher",
      agent: "w1/teacher/0",
      content: null,
      toolCalls: [{ id: "call_1", type: "function", function: { name: "lookup", arguments: '{"id":"7"}' } }],
      prompt: { system: "You are helpful.", user: "Ask." },
      model: "m-large",
      finishReason: "tool_calls",
      usage: { promptTokens: 50, completionTokens: 10 },
      timing: { start: 1, end: 2.5, ttftMs: 0.25 },
    },
    {
      role: "teacher",
      agent: "w1/teacher/0",
      content: "found",
      toolCallId: "call_1",
      toolName: "lookup",
      toolOk: false,
      data: { any: ["shape", 1, { at: "all" }] },
      timing: { start: 3, end: 4 },
      error: { name: "ToolError", message: "no such id", retryable: false, role: "teacher", details: { id: "7" } },
    },
    {
      role: "student",
      agent: "w2/student/1",
      content: "",
      contentRef: { ref: "r", bytes: 0 },
      timing: { start: 5, end: 6 },
    },
  ],
  status: "failed",
  reason: "error",
  error: { name: "AgentError", code: "agent", message: "boom" },
  timestamps: { created: 1, finished: 2 },
  trace: [{ role: "teacher", agent: "w1", start: 1, queueMs: 0, handleMs: 2.5, llmMs: 1, llmCalls: 1, bytes: 250 }],
  retries: 1,
  forkOf: "row-7",
  fromTurn: 0,
  replay: [{ role: "teacher", agent: "w1", content: "again", timing: { start: 7, end: 8 } }],
};

const check = exactCheck(TaskSchema)!;
/** As a task arrives: parsed from its JSON, so a JSON-only value (1e400 is Infinity) is what it is on the wire. */
const parsed = (json: string): unknown => JSON.parse(json);

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Every one-step change of `value`: each key removed, each value replaced by each of `wrong`, an extra key in each object. */
function mutations(value: Json, wrong: Json[]): Json[] {
  const out: Json[] = [];
  const visit = (node: Json, rebuild: (replacement: Json | undefined) => Json) => {
    if (Array.isArray(node)) {
      node.forEach((child, index) =>
        visit(child, (replacement) => {
          const copy = [...node];
          if (replacement === undefined) copy.splice(index, 1);
          else copy[index] = replacement;
          return rebuild(copy);
        }),
      );
    } else if (node !== null && typeof node === "object") {
      out.push(rebuild({ ...node, unexpected: 1 }));
      // An own `__proto__` key, as JSON.parse makes from `"__proto__":` on the wire.
      out.push(rebuild(Object.defineProperty({ ...node }, "__proto__", { value: { a: 1 }, enumerable: true })));
      for (const key of Object.keys(node)) {
        visit(node[key]!, (replacement) => {
          const copy = { ...node };
          if (replacement === undefined) delete copy[key];
          else copy[key] = replacement;
          return rebuild(copy);
        });
      }
    }
    if (node !== value) out.push(rebuild(undefined));
    for (const other of wrong) out.push(rebuild(other));
  };
  visit(value, (replacement) => replacement as Json);
  return out;
}

describe("exactCheck", () => {
  it("says yes to tasks in output form, which zod returns unchanged", () => {
    for (const task of [base, rich]) {
      const value = parsed(JSON.stringify(task));
      expect(check(value)).toBe(true);
      expect(TaskSchema.parse(value)).toEqual(value);
    }
  });

  it("never says yes to a value that zod rejects or would change, over every one-step mutation of a task", () => {
    const wrong: Json[] = [null, "text", "", 1.5, -1, 0, 2 ** 53, true, [], {}, [1], { a: 1 }];
    let yes = 0;
    let no = 0;
    for (const task of [base, rich]) {
      const mutants = mutations(JSON.parse(JSON.stringify(task)) as Json, wrong);
      for (const mutant of mutants) {
        const value = parsed(JSON.stringify(mutant));
        if (!check(value)) {
          no++;
          continue;
        }
        yes++;
        const zod = TaskSchema.safeParse(value);
        expect(zod.success, JSON.stringify(mutant)).toBe(true);
        expect(zod.data).toEqual(value);
      }
    }
    // Not vacuous: many mutants are still valid tasks (a record's value, an optional field removed),
    // many are not.
    expect(yes).toBeGreaterThan(200);
    expect(no).toBeGreaterThan(1000);
  });

  it("leaves to zod what zod would fill in, strip or reject", () => {
    const value = (mutate: (task: Record<string, any>) => void) => {
      const task = JSON.parse(JSON.stringify(rich));
      mutate(task);
      return task;
    };
    // A default zod fills in: the call's `type`.
    const untyped = value((task) => delete task.history[0].toolCalls[0].type);
    expect(check(untyped)).toBe(false);
    expect(TaskSchema.parse(untyped).history[0]!.toolCalls![0]!.type).toBe("function");
    // A key zod strips.
    const extra = value((task) => (task.timestamps.extra = 1));
    expect(check(extra)).toBe(false);
    expect(TaskSchema.parse(extra).timestamps).toEqual({ created: 1, finished: 2 });
    // Values zod rejects: an infinite number as JSON carries it, a non-integer, an empty id, an unknown status.
    for (const bad of [
      parsed(JSON.stringify(base).replace('"created":1765000000000', '"created":1e400')),
      value((task) => (task.hops = 1.5)),
      value((task) => (task.id = "")),
      value((task) => (task.status = "paused")),
    ]) {
      expect(check(bad)).toBe(false);
      expect(TaskSchema.safeParse(bad).success).toBe(false);
    }
  });

  it("counts string lengths as zod does (in code points)", () => {
    const schema = z.object({ code: z.string().min(2).max(2) });
    const fast = exactCheck(schema)!;
    for (const code of ["ab", "a", "abc", "😀", "😀a", "😀😀", "😀ab"]) {
      expect(fast({ code }), code).toBe(schema.safeParse({ code }).success);
    }
    expect(fast({ code: "😀a" })).toBe(true);
  });

  it("gives no fast check for a schema holding what JSON Schema cannot state exactly", () => {
    const plain = z.object({ n: z.number().int().nonnegative(), s: z.string().min(1) });
    expect(exactCheck(plain)).toBeTypeOf("function");
    expect(exactCheck(plain.extend({ u: z.union([z.string(), z.number()]).nullable() }))).toBeTypeOf("function");
    for (const schema of [
      plain.extend({ r: z.string().refine((text) => text.length > 2) }),
      plain.extend({ t: z.string().transform((text) => text.length) }),
      plain.extend({ p: z.string().regex(/^a/) }),
      plain.extend({ e: z.email() }),
      plain.extend({ id: z.uuid() }),
      plain.extend({ c: z.coerce.number() }),
      plain.extend({ c: z.coerce.string() }),
      plain.extend({ trimmed: z.string().trim() }),
      plain.extend({ u: z.union([z.object({ a: z.string() }), z.object({ b: z.string() })]) }),
      plain.extend({ u: z.union([z.array(z.object({ a: z.string() })), z.string()]) }),
      plain.extend({ byEnum: z.record(z.enum(["a", "b"]), z.number()) }),
      plain.extend({ byPattern: z.record(z.string().regex(/^k/), z.number()) }),
      plain.extend({ f: z.number().check(z.float32()) }),
      plain.extend({ constructor: z.unknown() }),
      plain.extend({ nothing: z.literal(undefined) }),
      z.array(plain).superRefine(() => undefined),
    ]) {
      expect(exactCheck(schema)).toBeUndefined();
    }
  });

  it("says no to an own __proto__ key in a record or catch-all, which zod drops", () => {
    for (const field of ["row", "state", "usage"]) {
      const value = parsed(JSON.stringify(base).replace(`"${field}":{`, `"${field}":{"__proto__":{"a":1},`));
      expect(Object.keys((value as Record<string, object>)[field]!)).toContain("__proto__");
      expect(check(value), field).toBe(false);
    }
    const loose = z.looseObject({ a: z.string() });
    const fast = exactCheck(loose)!;
    expect(fast({ a: "x", b: 1 })).toBe(true);
    expect(fast(parsed('{"a":"x","__proto__":{"polluted":true}}'))).toBe(false);
  });
});
