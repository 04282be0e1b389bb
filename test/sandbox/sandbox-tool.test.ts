/**
 * sandboxTool(): the sandbox offered to a chat role as a tool. The model is a fake (it decides which
 * calls to make); the sandbox is the real bubblewrap one.
 */
import { describe, expect, it } from "vitest";
import { PipelineDefinitionError } from "../../sdk/errors.js";
import { Pipeline, pipeline } from "../../sdk/pipeline/pipeline.js";
import { sandboxTool } from "../../sdk/sandbox/sandbox-tool.js";
import { describeWithBwrap } from "../helpers/bubblewrap.js";
import { FakeLlm } from "../helpers/fake-llm.js";

const call = (id: string, args: Record<string, unknown>) => ({
  content: null,
  finishReason: "tool_calls",
  toolCalls: [{ id, type: "function" as const, function: { name: "run_code", arguments: JSON.stringify(args) } }],
});

describe("sandboxTool definition", () => {
  it("writes its limits into the stored function, so they travel with the pipeline", () => {
    const p = pipeline("tool").chat("solver", { prompt: "x", tools: [sandboxTool({ timeoutMs: 800, memoryMB: 64 })] });
    const json = Pipeline.fromJSON(JSON.stringify(p.toJSON())).toJSON();
    const tool = (json.roles.solver as { tools: Array<{ name: string; run: { fn: string } }> }).tools[0]!;
    expect(tool.name).toBe("run_code");
    expect(tool.run.fn).toContain("timeoutMs: 800");
    expect(tool.run.fn).toContain("memoryMB: 64");
    expect(() => sandboxTool({ timeoutMs: 1.5 })).toThrow(PipelineDefinitionError);
    expect(() => sandboxTool({ memoryMB: -1 })).toThrow(/tools\.run_code\.memoryMB/);
  });
});

describeWithBwrap("the sandbox as a tool", () => {
  it("a chat role's model calls run_code, the sandbox runs it, the result goes back as a tool turn", async () => {
    const llm = new FakeLlm((request, index) =>
      index === 0
        ? call("call_1", { language: "python", code: "print(6 * 7)" })
        : index === 1
          ? call("call_2", { language: "bash", code: "sleep 5" })
          : { content: `the program printed ${JSON.stringify(request.messages.at(-1))}` },
    );
    const p = pipeline("tool").chat("solver", {
      prompt: "What is 6 * 7? Run code.",
      tools: [sandboxTool({ timeoutMs: 800 })],
    });
    const run = p.run({ source: [{ id: "a" }], llm });
    await run.done();
    const task = run.results()[0]!;
    expect(task.status).toBe("done");
    const first = task.history.find((turn) => turn.toolCallId === "call_1");
    expect(first?.content).toContain('"stdout":"42\\n"');
    // The tool's own time limit (800 ms) ended a program the 10 s default would have let finish.
    const second = JSON.parse(task.history.find((turn) => turn.toolCallId === "call_2")!.content!);
    expect(second).toMatchObject({ timedOut: true, exitCode: null });
    expect(llm.requests[0]!.tools?.map((t) => t.name)).toEqual(["run_code"]);
  });
});
