/**
 * Where CLI commands write: stdout for data and URLs, stderr for progress and errors. Tests pass
 * their own to capture both.
 *
 * Where you are: `cli/`.
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether stderr is a terminal (progress redraws in place) or a log (one line at a time). */
  interactive: boolean;
  env: NodeJS.ProcessEnv;
}

export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    interactive: Boolean(process.stderr.isTTY),
    env: process.env,
  };
}
