/**
 * A mistake on the command line that only the action can see: flags that each parse but do not go
 * together (`--out` and `--run` both, `--price` without a budget), or a flag whose value is read later
 * (a `--patch` that is not JSON). main() reports it as it reports commander's own usage errors: exit 2,
 * one line naming the flag and the fix, and a pointer to the command's `--help`.
 *
 * Where you are: `cli/`, thrown by action modules (`*-command.ts`), caught by main.ts only. The SDK's own
 * errors (`ConfigError`, ...) stay runtime failures (exit 1): a run's settings, a file's content.
 */
export class UsageError extends Error {
  /** @param flag the flag the line names first (`--out`). */
  constructor(
    readonly flag: string,
    message: string,
  ) {
    super(`${flag}: ${message}`);
    this.name = "UsageError";
  }
}
