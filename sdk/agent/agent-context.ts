/**
 * What an agent's handler (and every inline pipeline function) receives besides the task.
 *
 * Where you are: `agent/`. Keep this small and serializable-friendly: inline functions read
 * `ctx.params`, never outer variables.
 */
import type { Logger } from "pino";
import type { LlmClient } from "../llm/llm-client.js";
import type { SandboxRunner } from "../sandbox/sandbox-request.js";
import type { Turn } from "../schema/turn.js";

export interface AgentContext {
  /** The pipeline's declared params. */
  readonly params: Readonly<Record<string, unknown>>;
  /**
   * The pipeline's modules (`.module(name, path)`) by name, loaded from their bundles: what an inline
   * function calls instead of capturing a variable. `{}` when the pipeline has none.
   */
  // `any`: a module's exports have no static type here, and functions call into them freely.
  readonly modules: Readonly<Record<string, any>>;
  /** The role being handled. */
  readonly role: string;
  /** This agent instance, e.g. `worker-1/teacher`. */
  readonly agent: string;
  /** Aborted when the run is cancelled or the worker drains. */
  readonly signal: AbortSignal;
  /** The LLM client of this worker (a pool over OpenAI-compatible endpoints). */
  readonly llm?: LlmClient;
  readonly logger?: Logger;
  /**
   * Runs untrusted code (python, node, bash) with no network, a read-only system and time/memory
   * limits: `await ctx.sandbox.run({ language: "python", code, stdin, files, timeoutMs, memoryMB })`.
   * Agents always set it: this process's sandbox (bubblewrap; Apptainer with MATRIX_SANDBOX=apptainer), shared by its roles.
   */
  readonly sandbox?: SandboxRunner;
  /** A turn's text, fetching it from the run's content store when it was offloaded. */
  content(turn: Turn): Promise<string | null>;
}

/** For buses that never offload: the text is always inline. */
export const inlineContent = (turn: Turn): Promise<string | null> => Promise.resolve(turn.content);
