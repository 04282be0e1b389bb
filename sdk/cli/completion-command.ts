/**
 * `matrix completion bash|zsh`: prints the completion script for the shell, generated from the
 * command tree it is given (the one main() parsed), with recipe names offered for `matrix run`.
 *
 * Where you are: `cli/`, loaded only when `matrix completion` runs. The generators are in
 * shell-completion.ts.
 */
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { recipeNames } from "../recipes/index.js";
import type { CliIo } from "./cli-io.js";
import { bashCompletion, zshCompletion } from "./shell-completion.js";

export async function command(shell: "bash" | "zsh", program: CommandUnknownOpts, io: CliIo): Promise<number> {
  const words = { run: recipeNames() };
  io.stdout(shell === "bash" ? bashCompletion(program, words) : zshCompletion(program, words));
  return 0;
}
