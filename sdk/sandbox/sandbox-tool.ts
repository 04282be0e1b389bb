/**
 * The sandbox as a tool a chat role offers the model: `run_code` runs Python, Node or Bash in this
 * worker's sandbox and returns stdout, stderr, the exit code and whether it timed out.
 *
 * Where you are: `sandbox/`. The tool is plain JSON like every tool (`tools/tool.ts`); its `run` calls
 * `ctx.sandbox`, so it works on any worker. A stored function may not capture variables, so the
 * limits chosen here are written into its source as numbers.
 *
 * @example
 * pipeline("solve").chat("solver", { prompt: "{{row.question}}", tools: [sandboxTool({ timeoutMs: 5000 })] });
 */
import { z } from "zod";
import { PipelineDefinitionError } from "../errors.js";
import { toFunctionSource } from "../flow/function-source.js";
import type { ToolDefinitionJson } from "../schema/pipeline-definition.js";
import { tool } from "../tools/tool.js";
import { SANDBOX_LANGUAGES } from "./sandbox-request.js";

export interface SandboxToolOptions {
  /** The tool's name, as the model sees it. @default "run_code" */
  name?: string;
  /** Wall-clock limit of one call. @default 10000 */
  timeoutMs?: number;
  /** Memory limit of one call, MiB. @default 512 */
  memoryMB?: number;
}

function positiveInteger(value: number, where: string): number {
  if (!Number.isInteger(value) || value <= 0) throw new PipelineDefinitionError(where, "must be a positive integer");
  return value;
}

export function sandboxTool(options: SandboxToolOptions = {}): ToolDefinitionJson {
  const name = options.name ?? "run_code";
  const timeoutMs = positiveInteger(options.timeoutMs ?? 10_000, `tools.${name}.timeoutMs`);
  const memoryMB = positiveInteger(options.memoryMB ?? 512, `tools.${name}.memoryMB`);
  const definition = tool({
    name,
    description:
      "Run a program in a sandbox (no network, a private work directory) and get its stdout, stderr and exit code.",
    parameters: z.object({
      language: z.enum(SANDBOX_LANGUAGES),
      code: z.string().describe("the whole program"),
      stdin: z.string().optional(),
    }),
  });
  const run = `async (args, _env, ctx) => {
  if (!ctx.sandbox) throw new Error("no sandbox on this worker");
  const result = await ctx.sandbox.run({ ...args, timeoutMs: ${timeoutMs}, memoryMB: ${memoryMB} });
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode, timedOut: result.timedOut };
}`;
  return { ...definition, run: toFunctionSource({ fn: run }, `tools.${name}.run`) };
}
