/**
 * The sandbox's request and result: what `sandbox.run(...)` takes and returns.
 *
 * Where you are: `sandbox/`. One zod schema for the request (it crosses a trust boundary: a tool
 * call's arguments come from a model), checked before anything runs.
 */
import { z } from "zod";

export const SANDBOX_LANGUAGES = ["python", "node", "bash"] as const;
export type SandboxLanguage = (typeof SANDBOX_LANGUAGES)[number];

/** A relative path inside the work directory: not absolute, no empty, `.` or `..` segment, no NUL. */
const relativePath = z
  .string()
  .min(1)
  .refine(
    (path) =>
      !path.startsWith("/") &&
      !path.includes("\0") &&
      path.split("/").every((segment) => segment !== "" && segment !== "." && segment !== ".."),
    { message: "a file path is relative to the work directory, without '..', '.' or empty segments" },
  );

export const SandboxRequestSchema = z.object({
  language: z.enum(SANDBOX_LANGUAGES),
  /** The program; written to `main.py` / `main.js` / `main.sh` in the work directory and run. */
  code: z.string(),
  /** Sent to the program's standard input. @default "" */
  stdin: z.string().optional(),
  /** More files for the work directory, by relative path (tests, data, modules the code imports). */
  files: z.record(relativePath, z.string()).optional(),
  /** Command-line arguments after the program file. */
  args: z.array(z.string()).optional(),
  /** Wall-clock limit; the whole sandbox is killed when it passes. @default 10000 */
  timeoutMs: z.number().int().positive().max(3_600_000).optional(),
  /** Memory limit in MiB. @default 512 */
  memoryMB: z.number().int().min(16).max(1_048_576).optional(),
  /**
   * CPU-time limit in seconds, per process (RLIMIT_CPU): the program gets SIGXCPU when it has used
   * this much CPU, however long that takes in wall-clock time on a busy machine. @default timeoutMs in
   * seconds, rounded up, + 1 (the wall-clock timer normally ends a run first)
   */
  cpuSeconds: z.number().int().positive().max(86_400).optional(),
});
export type SandboxRequest = z.input<typeof SandboxRequestSchema>;

export interface SandboxResult {
  stdout: string;
  stderr: string;
  /**
   * The program's exit code; null when it was ended by a signal. bubblewrap reports a program ended by
   * signal n as exit code 128 + n (the shell's convention), so such codes are read as that signal: a
   * program that itself exits with 129–159 is reported as ended by a signal.
   */
  exitCode: number | null;
  /** The signal that ended it (SIGKILL at the time limit, SIGXCPU at the CPU limit, ...). */
  signal?: string;
  /** Killed at `timeoutMs`. */
  timedOut: boolean;
  /** Wall-clock time of the run, sandbox start-up included. */
  durationMs: number;
  /** A limit the run hit: `time`, `cpu`, `memory` (from the interpreter's out-of-memory message) or `output`. */
  limit?: "time" | "cpu" | "memory" | "output";
  /** Streams cut at the output cap (`maxOutputBytes`); the rest was discarded. */
  truncated?: { stdout?: true; stderr?: true };
}

/** What code roles and tools get as `ctx.sandbox`. */
export interface SandboxRunner {
  run(request: SandboxRequest): Promise<SandboxResult>;
}
