/**
 * `matrix completion bash|zsh`: the scripts are generated from the commander tree, so every command
 * and flag it declares completes. Bash is exercised through its completion function (COMP_WORDS in,
 * COMPREPLY out) for every command of the tree; zsh is loaded by compinit in a real interactive zsh on
 * a pseudo-terminal (zpty) and Tab is pressed.
 */
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CommandUnknownOpts, Option } from "@commander-js/extra-typings";
import { describe, expect, it } from "vitest";
import type { CliIo } from "../../sdk/cli/cli-io.js";
import { main } from "../../sdk/cli/main.js";
import { matrixProgram } from "../../sdk/cli/program.js";
import { recipeNames } from "../../sdk/recipes/index.js";
import { tempDir } from "../helpers/temp-dir.js";

async function script(shell: "bash" | "zsh"): Promise<string> {
  let out = "";
  const io: CliIo = { stdout: (t) => void (out += t), stderr: () => {}, interactive: false, env: process.env };
  expect(await main(["completion", shell], io)).toBe(0);
  return out;
}

function commands(
  command: CommandUnknownOpts,
  path: string[] = [],
): Array<{ path: string[]; command: CommandUnknownOpts }> {
  return command.commands
    .filter((child) => child.name() !== "help")
    .flatMap((child) => [
      { path: [...path, child.name()], command: child },
      ...commands(child, [...path, child.name()]),
    ]);
}

const program = matrixProgram({
  io: { stdout: () => {}, stderr: () => {}, interactive: false, env: process.env },
  argv: [],
  exitCode: 0,
});

describe("bash completion", () => {
  const complete = (file: string, words: string[]): string[] => {
    const result = spawnSync(
      "bash",
      [
        "-c",
        `source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _matrix; printf '%s\\n' "\${COMPREPLY[@]}"`,
        file,
        ...words,
      ],
      { encoding: "utf8" },
    );
    expect(result.status, result.stderr).toBe(0);
    return result.stdout.split("\n").filter(Boolean);
  };

  it("is valid bash and completes every command's sub-commands and flags as the tree declares them", async () => {
    const file = join(tempDir(), "matrix.bash");
    writeFileSync(file, await script("bash"));
    expect(spawnSync("bash", ["-n", file]).status).toBe(0);
    expect(complete(file, ["matrix", ""]).sort()).toEqual(
      program.commands
        .map((c) => c.name())
        .filter((name) => name !== "help")
        .sort(),
    );
    for (const { path, command } of commands(program)) {
      if (command.commands.length > 0) {
        expect(complete(file, ["matrix", ...path, ""]).sort()).toEqual(command.commands.map((c) => c.name()).sort());
        continue;
      }
      const flags = (command.options as readonly Option[]).map((option) => option.long!);
      const before = command.registeredArguments.length > 0 ? ["x"] : [];
      expect(complete(file, ["matrix", ...path, ...before, "--"]).sort(), path.join(" ")).toEqual(
        [...flags, "--help"].sort(),
      );
    }
  });

  it("completes a flag's choices, a flag's value after other flags, recipe names and a sub-command by prefix", async () => {
    const file = join(tempDir(), "matrix.bash");
    writeFileSync(file, await script("bash"));
    expect(complete(file, ["matrix", "run", "quickstart", "--rows", "5", "--bus", ""]).sort()).toEqual([
      "local",
      "nats",
    ]);
    expect(complete(file, ["matrix", "deploy", "k8s", "--engine", "s"])).toEqual(["sglang"]);
    expect(complete(file, ["matrix", "run", "--rows", "3", "q"])).toContain("quickstart");
    for (const name of recipeNames()) expect(complete(file, ["matrix", "run", ""])).toContain(name);
    expect(complete(file, ["matrix", "cluster", "u"])).toEqual(["up"]);
    expect(complete(file, ["matrix", "completion", ""]).sort()).toEqual(["bash", "zsh"]);
  });
});

const zsh = ["/usr/bin/zsh", "/bin/zsh"].find((path) => existsSync(path));
const describeZsh = zsh ? describe : process.env.CI === "true" ? describe : describe.skip;

describeZsh(`zsh completion${zsh ? "" : " — skipped: zsh not found (apt-get install zsh)"}`, () => {
  /** Types `line` and Tab twice in an interactive zsh, and returns the screen once `expected` all show. */
  const tab = (file: string, line: string, expected: string[]): string => {
    const driver = `
zmodload zsh/zpty
zpty z "zsh -f -i"
zpty -w z "PROMPT='> '; autoload -U compinit; compinit -u -D; source ${file}; print READY"
zpty -r z out '*READY*'
zpty -r z out '*READY*'
zpty -w -n z ${JSON.stringify(line)}$'\\t\\t'
screen=
words=(${expected.map((word) => JSON.stringify(word)).join(" ")})
seen() { for w in $words; do [[ $screen == *$w* ]] || return 1; done }
integer waits=0
until seen; do
  zpty -r -t z chunk && screen+=$chunk || sleep 0.05
  (( ++waits > 400 )) && { print -r -- "$screen"; exit 1 }
done
print -r -- "$screen"
zpty -d z
`;
    const result = spawnSync(zsh!, ["-f", "-c", driver], { encoding: "utf8", timeout: 30_000 });
    expect(result.status, `${result.stderr}\n${result.stdout}`).toBe(0);
    return result.stdout.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "");
  };

  it("is valid zsh, registers _matrix with compinit, and completes commands, flags and choices", async () => {
    if (!zsh) throw new Error("zsh is not installed (apt-get install zsh); CI must run these tests.");
    const file = join(tempDir(), "_matrix");
    writeFileSync(file, await script("zsh"));
    expect(spawnSync(zsh!, ["-n", file]).status).toBe(0);
    const registered = spawnSync(
      zsh!,
      ["-f", "-c", `autoload -U compinit; compinit -u -D; source ${file}; print -r -- $_comps[matrix]`],
      {
        encoding: "utf8",
      },
    );
    expect(registered.stdout.trim()).toBe("_matrix");
    expect(tab(file, "matrix cluster ", ["down", "up"])).toMatch(/up\s+-- start nats-server/);
    expect(tab(file, "matrix run quickstart --r", ["--rows", "--resume"])).toMatch(
      /--rows\s+-- read at most N source rows/,
    );
    expect(tab(file, "matrix run quickstart --bus ", ["local", "nats"])).toMatch(/local\s+nats/);
    expect(tab(file, "matrix run ", recipeNames())).toContain("quickstart");
  });
});
