/**
 * The `code-verify` recipe: an LLM writes a solution to a programming problem; the sandbox runs the
 * problem's tests on it; the task keeps pass/fail, the test outputs and timing; a failing solution
 * goes back to the coder with the failures for a repair turn (`maxRepairs`, default 1).
 *
 * Where you are: `recipes/`. Roles: `coder` (chat; on its second turn it sees its first solution and
 * the failures) → `verify` (code: bubblewrap, or Apptainer with MATRIX_SANDBOX=apptainer) → `coder`
 * or the end, routed by `ctx.modules.codeVerify.route`. The runtime is the module
 * sdk/recipes/code-verify/code-verify-module.ts, shipped with the run. Summary metrics: `passRate`.
 * Problems: datasets/code-verify/problems.jsonl (30, Python and JavaScript, each with candidates that
 * the simulator answers with, so an offline run shows both passes and failures).
 */
import { z } from "zod";
import { pipeline, type Pipeline } from "../../pipeline/pipeline.js";
import {
  BaseRecipeOptionsSchema,
  datasetPath,
  parseRecipeOptions,
  runtimeModule,
  type RecipeOptions,
} from "../recipe-options.js";
import type { CodeVerifyParams } from "./code-verify-module.js";

/** `home`, `dataset` (problems JSONL in the same format) and `model` (the coder's), plus these. */
export const CodeVerifyOptionsSchema = BaseRecipeOptionsSchema.extend({
  /** Repair turns a failing solution gets. @default 1 */
  maxRepairs: z.number().int().min(0).max(10).optional(),
  /** Time limit of one test run. @default 10000 */
  timeoutMs: z.number().int().positive().optional(),
  /** Memory limit of one test run, MiB. @default 256 */
  memoryMB: z.number().int().min(16).optional(),
  /**
   * CPU-time limit of one test run, seconds. An endless loop burns CPU and stops here however loaded
   * the machine is, while a correct solution waiting for a busy CPU is not cut short: with it,
   * `timeoutMs` can be generous. @default timeoutMs in seconds + 1
   */
  cpuSeconds: z.number().int().positive().optional(),
  /** Answer with the rows' candidates on the simulator (see the module). @default true */
  useCandidates: z.boolean().optional(),
});

export function codeVerify(input: RecipeOptions = {}): Pipeline {
  const options = parseRecipeOptions("code-verify", CodeVerifyOptionsSchema, input);
  const home = options.home ?? process.cwd();
  const params: CodeVerifyParams = {
    maxRepairs: options.maxRepairs ?? 1,
    timeoutMs: options.timeoutMs ?? 10_000,
    memoryMB: options.memoryMB ?? 256,
    ...(options.cpuSeconds !== undefined ? { cpuSeconds: options.cpuSeconds } : {}),
    useCandidates: options.useCandidates ?? true,
  };
  return pipeline("code-verify")
    .source(datasetPath(options, "datasets/code-verify/problems.jsonl"))
    .module("codeVerify", runtimeModule(home, "recipes/code-verify/code-verify-module"))
    .params({ ...params })
    .chat("coder", {
      prompt: (task, ctx) => ctx.modules.codeVerify.messages(task, ctx),
      extraBody: (task, ctx) => ctx.modules.codeVerify.prediction(task, ctx),
      temperature: 0.2,
      maxTokens: 2048,
      ...(options.model ? { model: options.model } : {}),
    })
    .code("verify", (task, ctx) => ctx.modules.codeVerify.verify(task, ctx))
    .router("coder", (task, justRan, ctx) => ctx.modules.codeVerify.route(task, justRan, ctx))
    .metric("passRate", {
      initial: { tasks: 0, passed: 0, firstTry: 0, repaired: 0, failed: 0, timeouts: 0, sandboxMs: 0, runs: 0 },
      accumulate: (acc, task) => {
        if (task.status !== "done") return acc;
        const attempts = (task.state.attempts ?? []) as Array<{
          timedOut: boolean;
          limit?: string;
          durationMs: number;
        }>;
        acc.tasks++;
        if (task.state.passed) acc.passed++;
        else acc.failed++;
        if (task.state.passed && attempts.length === 1) acc.firstTry++;
        if (task.state.repaired) acc.repaired++;
        for (const attempt of attempts) {
          acc.runs++;
          acc.sandboxMs += attempt.durationMs;
          // Ended at the wall-clock or the CPU-time limit.
          if (attempt.timedOut || attempt.limit === "cpu") acc.timeouts++;
        }
        return acc;
      },
      result: (acc) => ({
        tasks: acc.tasks,
        passed: acc.passed,
        passRate: acc.tasks ? Math.round((acc.passed / acc.tasks) * 1000) / 1000 : null,
        firstTryPassRate: acc.tasks ? Math.round((acc.firstTry / acc.tasks) * 1000) / 1000 : null,
        passedAfterRepair: acc.repaired,
        failed: acc.failed,
        sandboxRuns: acc.runs,
        timeouts: acc.timeouts,
        meanSandboxMs: acc.runs ? Math.round(acc.sandboxMs / acc.runs) : null,
      }),
    })
    .options({ maxInFlight: 32 });
}
