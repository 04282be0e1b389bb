/**
 * The `matrix` command line: parses argv with the commander tree of program.ts, runs the chosen
 * command's action, and turns every outcome into an exit code and at most one line on stderr:
 *
 * - 0   done (also `--help`, `--version`);
 * - 2   usage error: an unknown command or flag, a missing or bad value (from argv or its environment
 *       variable), flags that do not go together (a `UsageError` from the action). One line that names the
 *       problem and points to the command's help, e.g.
 *       `matrix run: unknown option '--rws' (did you mean '--rows'?); see 'matrix run --help'`;
 * - 1   runtime failure: the named SDK error (`MatrixError` subclasses, sdk/errors.ts) in one line,
 *       e.g. `matrix run: ConfigError: ...`; anything else also in one line (MATRIX_DEBUG=1 adds the stack);
 * - 130 a run interrupted by Ctrl-C (its files are flushed and it says how to resume); 143 for SIGTERM.
 *
 * Where you are: `cli/`, a leaf: nothing imports it but bin/matrix.js. `main(argv, io)` takes its io so
 * tests can call it in-process and capture both streams.
 *
 * How to add a flag: one line in the command's definition in program.ts, e.g.
 *   `.addOption(countOption("--retries <n>", "attempts per call", 0))` (a checked whole number), or
 *   `.addOption(new Option("--log-level <level>", "...").choices([...]).env("MATRIX_LOG_LEVEL"))`;
 * its value arrives typed in the action's flags (`flags.retries`), and help, completion and the
 * usage-error test pick it up by themselves. Shared groups of flags are functions (`withNatsOptions`).
 * How to add a command: a `fooDefinition` in program.ts (description, arguments, flags), an action
 * module `foo-command.ts` exporting `command(...)`, and one line in `matrixProgram` joining them:
 *   `fooDefinition().action(exit(async (flags) => (await import("./foo-command.js")).command(flags, io)))`
 * A sub-command goes into a `group(...)` (see `cluster`). Keep definitions cheap and put heavy imports
 * in the action module: `matrix --help` and `matrix run` must not load what they do not use.
 */
import { CommanderError, type CommandUnknownOpts } from "@commander-js/extra-typings";
import { MatrixError } from "../errors.js";
import type { CliIo } from "./cli-io.js";
import { processIo } from "./cli-io.js";
import { matrixProgram, type CliContext } from "./program.js";
import { UsageError } from "./usage-error.js";

/** Raised by commander's exit hook: the command whose parsing failed, and commander's error. */
class ParseExit extends Error {
  constructor(
    readonly command: CommandUnknownOpts,
    readonly error: CommanderError,
  ) {
    super(error.message);
  }
}

function commandPath(command: CommandUnknownOpts): string {
  const names: string[] = [];
  for (let at: CommandUnknownOpts | null = command; at; at = at.parent) names.unshift(at.name());
  return names.join(" ");
}

const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ").trim();

/** Commander's message for a usage error, as one line that names the problem (and the fix, if known). */
export function usageLine(command: CommandUnknownOpts, error: CommanderError): string {
  const path = commandPath(command);
  let message = error.message.replace(/^error: /, "");
  // "unknown option '--rws'\n(Did you mean --rows?)" -> "... (did you mean '--rows'?)"
  message = message.replace(
    /\s*\(Did you mean (.+?)\?\)/,
    (_, suggestion: string) => ` (did you mean '${suggestion}'?)`,
  );
  // "option '--rows <n>' argument '-1' is invalid. expected ..." -> "--rows: expected ..."
  message = message.replace(
    /^option '(-[^ ',]+)(?:[^']*)' argument '(.*)' is invalid\. ([^]*)$/,
    (_, flag: string, value: string, reason: string) =>
      `${flag}: ${reason.replace(/^Allowed choices are (.*)\.$/, `expected one of $1, got '${value}'`)}`,
  );
  // A bad environment fallback: "option '--x <n>' value 'abc' from env 'X' is invalid. expected ..."
  message = message.replace(
    /^option '(-[^ ',]+)(?:[^']*)' value '(.*)' from env '(.+?)' is invalid\. ([^]*)$/,
    (_, flag: string, value: string, variable: string, reason: string) =>
      `${flag} (from ${variable}): ${reason.replace(/^Allowed choices are (.*)\.$/, `expected one of $1, got '${value}'`)}`,
  );
  message = message.replace(/^option '(-[^ ',]+)[^']*' argument missing$/, "$1 needs a value");
  message = message.replace(
    /^command-argument value '(.*)' is invalid for argument '(.+?)'\. ([^]*)$/,
    (_, value: string, name: string, reason: string) =>
      `<${name}>: ${reason.replace(/^Allowed choices are (.*)\.$/, `expected one of $1, got '${value}'`)}`,
  );
  message = message.replace(/^required option '(-[^ ',]+)[^']*' not specified$/, "$1 is required");
  message = message.replace(/^missing required argument '(.+)'$/, (_, name: string) => {
    const argument = command.registeredArguments.find((candidate) => candidate.name() === name);
    return `missing <${name}>${argument?.description ? ` (${argument.description})` : ""}`;
  });
  message = message.replace(/\.$/, "");
  if (error.code === "commander.help") {
    // A group called without its sub-command (`matrix cluster`).
    const names = command.commands.map((child) => child.name()).filter((name) => name !== "help");
    message = `missing command: one of ${names.join(", ")}`;
  }
  return `${path}: ${oneLine(message)}; see '${path} --help'`;
}

/**
 * Applies the exit hook and the output streams to every command of the tree, and moves the check for
 * required flags after the one for unknown flags: commander checks required flags first, so a misspelt
 * required flag (`matrix keygen --ot k`) would be reported as missing instead of "did you mean '--out'?".
 */
function configure(command: CommandUnknownOpts, io: CliIo): void {
  command.exitOverride((error) => {
    throw new ParseExit(command, error);
  });
  const required = command.options.filter((option) => option.mandatory);
  if (required.length > 0) {
    for (const option of required) option.makeOptionMandatory(false);
    // preAction runs after commander has refused unknown flags and checked the arguments.
    command.hook("preAction", (_self, action) => {
      if (action !== command) return;
      for (const option of required)
        if (command.getOptionValue(option.attributeName()) === undefined)
          command.error(`error: required option '${option.flags}' not specified`, {
            code: "commander.missingMandatoryOptionValue",
            exitCode: 1,
          });
    });
  }
  command.configureOutput({
    writeOut: (text) => io.stdout(text),
    // Help written on error: only the bare `matrix` prints the whole help; groups say it in one line.
    writeErr: (text) => (command.parent ? undefined : io.stderr(text)),
    outputError: () => undefined,
  });
  for (const child of command.commands) configure(child, io);
}

export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const ctx: CliContext = { io, argv, exitCode: 0 };
  const program = matrixProgram(ctx);
  configure(program, io);
  let running: CommandUnknownOpts = program;
  program.hook("preAction", (_program, action) => {
    running = action;
  });
  try {
    await program.parseAsync(argv, { from: "user" });
    return ctx.exitCode;
  } catch (error) {
    if (error instanceof ParseExit) {
      const { code, exitCode } = error.error;
      if (code === "commander.helpDisplayed" || code === "commander.version") return 0;
      // Plain `matrix`: its help was written to stderr.
      if (code === "commander.help" && !error.command.parent) return 2;
      if (exitCode === 0) return 0;
      io.stderr(`${usageLine(error.command, error.error)}\n`);
      return 2;
    }
    const where = commandPath(running);
    if (error instanceof UsageError) {
      io.stderr(`${where}: ${oneLine(error.message)}; see '${where} --help'\n`);
      return 2;
    }
    if (MatrixError.isInstance(error)) {
      io.stderr(`${where}: ${error.name}: ${oneLine(error.message)}\n`);
      return 1;
    }
    const failure = error instanceof Error ? error : new Error(String(error));
    io.stderr(
      io.env.MATRIX_DEBUG
        ? `${where}: ${failure.stack ?? failure.message}\n`
        : `${where}: ${failure.name}: ${oneLine(failure.message)} (MATRIX_DEBUG=1 shows the stack)\n`,
    );
    return 1;
  }
}
