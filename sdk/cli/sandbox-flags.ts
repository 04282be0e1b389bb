/**
 * The sandbox flags `matrix run` and `matrix worker` share: which runtime runs model-written code
 * (bubblewrap here, Apptainer on clusters), its image, and how many programs run at once per process.
 *
 * Where you are: `cli/`, cheap to load (commander only). Each flag falls back to its MATRIX_SANDBOX*
 * variable, which is also what a process without flags (a worker started by a deploy template, a
 * notebook) reads through `defaultSandbox()`.
 */
import { Option, type Command, type OptionValues } from "@commander-js/extra-typings";
import { ConfigError } from "../errors.js";
import type { SandboxOptions } from "../sandbox/sandbox.js";
import { countOption } from "./option-values.js";

export function withSandboxOptions<Args extends unknown[], Opts extends OptionValues, Globals extends OptionValues>(
  command: Command<Args, Opts, Globals>,
) {
  const group = <T extends Option>(option: T) => option.helpGroup("Sandbox (code roles, code-verify):");
  return command
    .addOption(
      group(
        new Option("--sandbox <runtime>", "runtime for untrusted code (default bwrap)")
          .choices(["bwrap", "apptainer"] as const)
          .env("MATRIX_SANDBOX"),
      ),
    )
    .addOption(
      group(
        new Option("--sandbox-image <image>", "Apptainer image (.sif or docker://...) with the interpreters").env(
          "MATRIX_SANDBOX_IMAGE",
        ),
      ),
    )
    .addOption(
      group(
        countOption("--sandbox-concurrency <n>", "programs run at once by this process (default: CPU count)").env(
          "MATRIX_SANDBOX_CONCURRENCY",
        ),
      ),
    );
}

/**
 * The sandbox options the flags ask for; undefined when none was given (the SDK default then applies).
 * Apptainer without an image is refused here, before any task runs (every code role would fail on it).
 */
export function sandboxFlags(flags: {
  sandbox?: "bwrap" | "apptainer";
  sandboxImage?: string;
  sandboxConcurrency?: number;
}): SandboxOptions | undefined {
  if (flags.sandbox === undefined && flags.sandboxImage === undefined && flags.sandboxConcurrency === undefined)
    return undefined;
  if (flags.sandbox === "apptainer" && !flags.sandboxImage)
    throw new ConfigError(
      "--sandbox-image",
      "--sandbox apptainer needs an image (a .sif on this machine or docker://...), or MATRIX_SANDBOX_IMAGE",
    );
  return {
    ...(flags.sandbox ? { backend: flags.sandbox } : {}),
    ...(flags.sandboxImage ? { image: flags.sandboxImage } : {}),
    ...(flags.sandboxConcurrency ? { concurrency: flags.sandboxConcurrency } : {}),
  };
}
