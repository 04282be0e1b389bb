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

/**
 * A reader that went away (`matrix run --help | head`) is not an error: stop quietly, as Unix tools
 * do, instead of dying with an unhandled EPIPE stack trace.
 */
const guarded = new WeakSet<NodeJS.WriteStream>();

function exitQuietlyOnClosedPipe(stream: NodeJS.WriteStream): void {
  if (guarded.has(stream)) return;
  guarded.add(stream);
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
}

export function processIo(): CliIo {
  exitQuietlyOnClosedPipe(process.stdout);
  exitQuietlyOnClosedPipe(process.stderr);
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    interactive: Boolean(process.stderr.isTTY),
    env: process.env,
  };
}
