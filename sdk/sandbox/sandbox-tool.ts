/**
 * The sandbox as a tool a chat role offers the model: `run_code` runs Python, Node or Bash in this
 * worker's sandbox and returns stdout, stderr, the exit code and whether it timed out.
 *
 * Where you are: `sandbox/`. The tool is plain JSON like every tool (`tools/tool.ts`); its `run` calls
 * `ctx.sandbox`, so it works on any worker without capturing anything.
 *
 * @example
 * pipeline("solve").chat("solver", { prompt: "{{row.question}}", tools: [sandboxTool()] });
 */
import { z } from "zod";
import { tool } from "../tools/tool.js";
import { SANDBOX_LANGUAGES } from "./sandbox-request.js";

export function sandboxTool(options: { name?: string; timeoutMs?: number; memoryMB?: number } = {}) {
  return tool({
    name: options.name ?? "run_code",
    description:
      "Run a program in a sandbox (no network, a private work directory) and get its stdout, stderr and exit code.",
    parameters: z.object({
      language: z.enum(SANDBOX_LANGUAGES),
      code: z.string().describe("the whole program"),
      stdin: z.string().optional(),
    }),
    run: async (args, _env, ctx) => {
      if (!ctx.sandbox) throw new Error("no sandbox on this worker");
      const result = await ctx.sandbox.run({ ...args, timeoutMs: 10_000, memoryMB: 512 });
      return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode, timedOut: result.timedOut };
    },
  });
}
