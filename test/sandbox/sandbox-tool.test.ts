import { expect, it } from "vitest";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { sandboxTool } from "../../sdk/sandbox/sandbox-tool.js";
import { describeWithBwrap } from "../helpers/bubblewrap.js";
import { FakeLlm } from "../helpers/fake-llm.js";

describeWithBwrap("the sandbox as a tool", () => {
  it("a chat role's model calls run_code, the sandbox runs it, the result goes back as a tool turn", async () => {
    const llm = new FakeLlm((request, index) =>
      index === 0
        ? {
            content: null,
            finishReason: "tool_calls",
            toolCalls: [
              {
                id: "call_1",
                type: "function" as const,
                function: { name: "run_code", arguments: JSON.stringify({ language: "python", code: "print(6 * 7)" }) },
              },
            ],
          }
        : { content: `the program printed ${JSON.stringify(request.messages.at(-1))}` },
    );
    const p = pipeline("tool").chat("solver", { prompt: "What is 6 * 7? Run code.", tools: [sandboxTool()] });
    const run = p.run({ source: [{ id: "a" }], llm });
    await run.done();
    const task = run.results()[0]!;
    expect(task.status).toBe("done");
    const result = task.history.find((turn) => turn.role === "tool" || turn.toolCallId === "call_1");
    expect(result?.content).toContain('"stdout":"42\\n"');
    expect(llm.requests[0]!.tools?.map((t) => t.name)).toEqual(["run_code"]);
  });
});
