import { describe, expect, it } from "vitest";
import { z } from "zod";
import { CapturedVariableError, ConfigError, PipelineDefinitionError } from "../../sdk/errors.js";
import { Pipeline, pipeline } from "../../sdk/pipeline/pipeline.js";

const base = pipeline("p")
  .params({ threshold: 2 })
  .code("a", (task, ctx) => ({ state: { big: (task.row!.n as number) > (ctx.params.threshold as number) } }))
  .chat("b", { system: "Be brief.", prompt: "Say {{row.n}}.", output: z.object({ ok: z.boolean() }) })
  .sequence("a", "b");

describe("pipeline builder", () => {
  it("is immutable: every call returns a new pipeline and the old one is unchanged", () => {
    const more = base.code("c", () => ({}));
    expect(more).not.toBe(base);
    expect(Object.keys(base.definition.roles)).toEqual(["a", "b"]);
    expect(Object.keys(more.definition.roles)).toEqual(["a", "b", "c"]);
    expect(Object.isFrozen(base.definition)).toBe(true);
    // Re-running a notebook cell: defining the same role again replaces it, never duplicates it.
    const again = base.code("a", () => ({ state: { x: 1 } }));
    expect(Object.keys(again.definition.roles)).toEqual(["a", "b"]);
  });

  it("round-trips through toJSON / fromJSON, also as a string", () => {
    const json = base.toJSON();
    expect(json.roles.b).toMatchObject({ kind: "chat", output: { name: "b", schema: { type: "object" } } });
    expect(Pipeline.fromJSON(json).toJSON()).toEqual(json);
    expect(Pipeline.fromJSON(JSON.stringify(json)).toJSON()).toEqual(json);
  });

  it("fails on an invalid definition with the field path and what was expected", () => {
    const json = base.toJSON() as unknown as { roles: Record<string, Record<string, unknown>> };
    json.roles.b!.temperature = "hot";
    expect(() => Pipeline.fromJSON(json)).toThrowError(PipelineDefinitionError);
    try {
      Pipeline.fromJSON(json);
    } catch (error) {
      expect((error as PipelineDefinitionError).path).toBe("roles.b.temperature");
      expect((error as Error).message).toMatch(/roles\.b\.temperature: .*number/);
    }
    const unknownKind = { ...base.toJSON(), roles: { a: { kind: "teleport" } } };
    expect(() => Pipeline.fromJSON(unknownKind)).toThrow(/roles\.a\.kind/);
  });

  it("checks templates before any row runs: malformed placeholders, unknown roots, undeclared params", () => {
    const chat = (prompt: string) => pipeline("t").params({ tone: "dry" }).chat("asker", { prompt }).validate();
    expect(() => chat("Hi {{row.question}")).toThrow(/roles\.asker\.prompt: the template unbalanced braces/);
    expect(() => chat("Hi {{row.first name}}")).toThrow(/\{\{row\.first name\}\} is not a path/);
    expect(() => chat("Hi {{rows.x}}")).toThrow(/must start with row\., state\., params\. or task\./);
    expect(() => chat("Be {{params.style}}")).toThrow(/no param 'style' is declared/);
    expect(() => chat("Be {{params.tone}} about {{row.topic}}")).not.toThrow();
  });

  it("names every problem of a bad definition, and says when the text is not JSON", () => {
    const json = base.toJSON() as unknown as Record<string, unknown>;
    delete json.params;
    (json.roles as Record<string, Record<string, unknown>>).b!.temperature = "hot";
    expect(() => Pipeline.fromJSON(json)).toThrow(/params: .*; roles\.b\.temperature: /);
    expect(() => Pipeline.fromJSON("{bad")).toThrow(/Invalid pipeline at <root>: the text is not valid JSON/);
  });

  it("refuses a flow that names a role that does not exist", () => {
    expect(() => base.sequence("a", "nope").validate()).toThrow(/role 'nope', which is not defined/);
  });

  it("refuses captured variables when building and when loading", () => {
    const limit = 5;
    expect(() => pipeline("x").code("a", (task) => ({ state: { over: task.hops > limit } }))).toThrowError(
      CapturedVariableError,
    );
    const json = pipeline("x")
      .code("a", () => ({}))
      .toJSON();
    json.roles.a = { kind: "code", fn: { fn: "(task) => ({ state: { v: secret } })" } };
    expect(() => Pipeline.fromJSON(json)).toThrow(/roles\.a\.fn.*'secret'/);
  });

  it("defaults to a sequence of roles in the order they were added", async () => {
    const run = pipeline("order")
      .code("second", () => ({ content: "2" }))
      .code("first", () => ({ content: "1" }))
      .run({ source: [{ id: "x" }] });
    await run.done();
    expect(run.results()[0]!.history.map((turn) => turn.content)).toEqual(["2", "1"]);
  });

  it("needs a source, and resume needs an output directory", () => {
    expect(() =>
      pipeline("n")
        .code("a", () => ({}))
        .run(),
    ).toThrowError(ConfigError);
    expect(() =>
      pipeline("n")
        .code("a", () => ({}))
        .run({ source: [], resume: true }),
    ).toThrow(/resume/);
  });

  it("routes with graph edges and a custom router", async () => {
    const graph = pipeline("g")
      .code("write", (task) => ({ state: { drafts: ((task.state.drafts as number) ?? 0) + 1 } }))
      .code("review", (task) => ({ state: { ok: (task.state.drafts as number) >= 3 } }))
      .graph("write", [
        { from: "write", to: "review" },
        { from: "review", to: "write", when: (task) => !task.state.ok },
        { from: "review", to: "_end" },
      ]);
    const run = graph.run({ source: [{ id: "1" }] });
    await run.done();
    expect(run.results()[0]!.state).toEqual({ drafts: 3, ok: true });
    expect(run.results()[0]!.hops).toBe(6);

    const looping = pipeline("loop")
      .code("a", () => ({}))
      .router("a", () => "a")
      .options({ maxHops: 10 });
    const loopRun = looping.run({ source: [{ id: "1" }] });
    const summary = await loopRun.done();
    expect(summary.counts.failed).toBe(1);
    expect(loopRun.results()[0]!.error?.message).toMatch(/maxHops \(10\)/);

    const stray = pipeline("stray").code("a", () => ({ next: "nowhere" }));
    const strayRun = stray.run({ source: [{ id: "1" }] });
    await strayRun.done();
    expect(strayRun.results()[0]!.error?.message).toMatch(/routed to 'nowhere'/);
  });

  it("dead-letters a task whose prompt placeholder names nothing, naming the placeholder and role", async () => {
    const p = pipeline("tpl").chat("asker", { prompt: "Tell me about {{row.topic}}." });
    const run = p.run({
      source: [{ id: "1", title: "no topic here" }],
      llm: { chat: async () => ({}) as never, close: async () => {} },
    });
    const summary = await run.done();
    expect(summary.counts.failed).toBe(1);
    const task = run.results()[0]!;
    expect(task.error).toMatchObject({ name: "AgentError", role: "asker" });
    expect(task.error?.message).toContain("{{row.topic}}");
  });
});
