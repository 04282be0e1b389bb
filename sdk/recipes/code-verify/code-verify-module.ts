/**
 * The runtime of the `code-verify` recipe, shipped with the run as the module `codeVerify` (workers
 * need no files): the coder's prompt and its predicted output on the simulator, the sandboxed test
 * run, and the feedback a failing solution goes back with.
 *
 * Where you are: `recipes/code-verify/`. Pipeline functions call these as `ctx.modules.codeVerify.*`.
 */
import type { AgentContext } from "../../agent/agent-context.js";
import type { ChatMessage } from "../../llm/llm-client.js";
import type { TaskUpdate } from "../../agent/task-update.js";
import type { Task } from "../../schema/task.js";
import { extractCode, verifySolution, type VerifyResult } from "./verify-solution.js";

export interface Problem {
  id: string;
  language: "python" | "node";
  title: string;
  prompt: string;
  entryPoint: string;
  tests: string;
  reference?: string;
  candidates?: Array<{ label: string; code: string }>;
}

export interface CodeVerifyParams {
  /** Repair turns a failing solution gets (0: none). @default 1 */
  maxRepairs: number;
  timeoutMs: number;
  memoryMB: number;
  /** CPU-time limit of one test run, seconds; absent: the sandbox's default (from timeoutMs). */
  cpuSeconds?: number;
  /**
   * Send one of the row's candidate solutions as the request's predicted output (OpenAI's
   * `prediction`), which the simulator answers with: offline runs then show real passes and failures.
   * Real servers ignore the field or use it only to decode faster; turn it off for a real model.
   */
  useCandidates: boolean;
}

/** One verification of one solution, as kept in `state.attempts`. */
export type Attempt = Omit<VerifyResult, "stdout" | "stderr"> & { candidate?: string };

const FENCE: Record<Problem["language"], string> = { python: "python", node: "javascript" };
const LANGUAGE_NAME: Record<Problem["language"], string> = { python: "Python 3", node: "JavaScript (Node.js)" };

function problemOf(task: Task): Problem {
  return task.row as unknown as Problem;
}

export function systemPrompt(task: Task): string {
  const problem = problemOf(task);
  return (
    `You are an expert ${LANGUAGE_NAME[problem.language]} programmer. Reply with the complete solution in a ` +
    `single \`\`\`${FENCE[problem.language]} code block and nothing else: no explanation, no tests, no example usage.`
  );
}

/** The task statement: the coder's opening message. */
export function problemPrompt(task: Task): string {
  const problem = problemOf(task);
  return `${problem.prompt}\n\nThe function must be named \`${problem.entryPoint}\`.`;
}

/**
 * The coder's conversation: the task statement, then each earlier solution (its own turns) and the
 * failures `verify` reported, so a repair turn sees what went wrong.
 */
export async function messages(task: Task, ctx: AgentContext): Promise<ChatMessage[]> {
  const out: ChatMessage[] = [
    { role: "system", content: systemPrompt(task) },
    { role: "user", content: problemPrompt(task) },
  ];
  for (const turn of task.history) {
    const content = (await ctx.content(turn)) ?? "";
    out.push(turn.role === "coder" ? { role: "assistant", content } : { role: "user", content });
  }
  return out;
}

/** Which candidate a given attempt gets on the simulator: seeded by the task, a different one each attempt. */
export function candidateFor(task: Task, attempt: number): { label: string; code: string } | undefined {
  const candidates = problemOf(task).candidates ?? [];
  if (candidates.length === 0) return undefined;
  const index = (Math.abs(task.seed) + attempt * 7) % candidates.length;
  return candidates[index];
}

/** The coder's extra request fields: the predicted output when candidates are in use. */
export function prediction(task: Task, ctx: AgentContext): Record<string, unknown> | undefined {
  if (!(ctx.params as unknown as CodeVerifyParams).useCandidates) return undefined;
  const attempts = (task.state.attempts as Attempt[] | undefined)?.length ?? 0;
  const candidate = candidateFor(task, attempts);
  if (!candidate) return undefined;
  const fence = FENCE[problemOf(task).language];
  return { prediction: { type: "content", content: `\`\`\`${fence}\n${candidate.code}\`\`\`` } };
}

function feedback(result: VerifyResult): string {
  const lines = [`Your solution failed: ${result.testsPassed} of ${result.testsTotal} tests passed.`];
  if (result.error) lines.push(`Problem: ${result.error}`);
  for (const failure of result.failures.slice(0, 5)) lines.push(`- ${failure.test}: ${failure.error}`);
  if (result.stderr.trim()) lines.push(`stderr (end):\n${result.stderr.trim().slice(-1200)}`);
  lines.push("Reply with the corrected complete solution in one code block.");
  return lines.join("\n");
}

/** The `verify` role: runs the latest solution's tests in the sandbox and records the attempt. */
export async function verify(task: Task, ctx: AgentContext): Promise<TaskUpdate> {
  const problem = problemOf(task);
  const params = ctx.params as unknown as CodeVerifyParams;
  const attempts = [...((task.state.attempts as Attempt[] | undefined) ?? [])];
  const reply = [...task.history].reverse().find((turn) => turn.role === "coder");
  const text = reply ? await ctx.content(reply) : null;
  const code = text ? extractCode(text) : undefined;
  const candidate = params.useCandidates ? candidateFor(task, attempts.length)?.label : undefined;
  let result: VerifyResult;
  if (code === undefined) {
    result = {
      passed: false,
      testsPassed: 0,
      testsTotal: 0,
      failures: [],
      error: "the reply holds no code",
      exitCode: null,
      timedOut: false,
      durationMs: 0,
      stdout: "",
      stderr: "",
    };
  } else {
    if (!ctx.sandbox) throw new Error("no sandbox in the agent context");
    result = await verifySolution(ctx.sandbox, {
      language: problem.language,
      solution: code,
      tests: problem.tests,
      timeoutMs: params.timeoutMs,
      memoryMB: params.memoryMB,
      ...(params.cpuSeconds !== undefined ? { cpuSeconds: params.cpuSeconds } : {}),
    });
  }
  const { stdout: _stdout, stderr: _stderr, ...kept } = result;
  attempts.push({ ...kept, ...(candidate ? { candidate } : {}) });
  return {
    state: {
      attempts,
      passed: result.passed,
      repaired: result.passed && attempts.length > 1,
      solution: code ?? null,
      output: { stdout: result.stdout, stderr: result.stderr },
    },
    content: result.passed ? `All ${result.testsTotal} tests passed.` : feedback(result),
  };
}

/** Where a task goes after `justRan`: verify every solution; a failure goes back to the coder while repairs remain. */
export function route(task: Task, justRan: string, ctx: AgentContext): string | null {
  if (justRan === "coder") return "verify";
  const attempts = (task.state.attempts as Attempt[] | undefined)?.length ?? 0;
  const maxRepairs = (ctx.params as unknown as CodeVerifyParams).maxRepairs;
  return task.state.passed === true || attempts > maxRepairs ? null : "coder";
}
