import { describe, expect, it } from "vitest";
import { pipeline, Pipeline } from "../../sdk/pipeline/pipeline.js";
import { FakeLlm } from "../helpers/fake-llm.js";

describe("chat roles' extraBody", () => {
  it("sends a fixed object, or what a per-task function returns, with each request", async () => {
    const llm = new FakeLlm();
    const p = pipeline("extra")
      .params({ k: 7 })
      .chat("fixed", { prompt: "hi", extraBody: { top_k: 20 } })
      .chat("perTask", {
        prompt: "hi",
        extraBody: (task, ctx) => (task.row!.n === 1 ? undefined : { top_k: ctx.params.k, tag: task.row!.n }),
      })
      .sequence("fixed", "perTask");
    // The definition stays JSON: the function travels as source text.
    const json = p.toJSON();
    expect(json.roles.perTask).toMatchObject({ extraBody: { fn: expect.stringContaining("top_k") } });
    expect(Pipeline.fromJSON(JSON.stringify(json)).toJSON()).toEqual(json);
    await p
      .run({
        source: [
          { id: "a", n: 1 },
          { id: "b", n: 2 },
        ],
        llm,
      })
      .done();
    const byRole = (role: string) => llm.requests.filter((r) => r.role === role).map((r) => r.extraBody);
    expect(byRole("fixed")).toEqual([{ top_k: 20 }, { top_k: 20 }]);
    expect(byRole("perTask")).toEqual(expect.arrayContaining([undefined, { top_k: 7, tag: 2 }]));
  });

  it("refuses a function that captures a variable", () => {
    const outside = 3;
    expect(() => pipeline("x").chat("a", { prompt: "hi", extraBody: () => ({ top_k: outside }) })).toThrow(/outside/);
  });
});
