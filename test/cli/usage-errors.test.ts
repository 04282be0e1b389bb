/**
 * Every mistake on the `matrix` command line gets exit code 2 and exactly one line on stderr that
 * names the problem and points to the command's help, never a stack trace. The cases are enumerated
 * from the commander tree itself (program.ts), so a command or flag added later is covered without
 * touching this file: for every command an unknown flag (also while a required flag is missing), each
 * flag without its value, each count given a negative, fractional, non-numeric (and, where 0 is refused,
 * zero) value, every other number a non-numeric one and each value outside its range, each shaped flag
 * (`--price model=in,out`) a value without its shape, each environment fallback a bad value, each
 * required flag misspelt or left out, and a misspelt command name. Then flags that parse but do not go
 * together. Most cases call main() in-process; a few spawn the real binary.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { CommandUnknownOpts, Option } from "@commander-js/extra-typings";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { main } from "../../sdk/cli/main.js";
import { expectedShape, numericKind } from "../../sdk/cli/option-values.js";
import { matrixProgram } from "../../sdk/cli/program.js";
import { capturedIo } from "../helpers/captured-cli.js";
import { tempDir } from "../helpers/temp-dir.js";

const captured = capturedIo;

interface Leaf {
  path: string[];
  command: CommandUnknownOpts;
}

function commands(command: CommandUnknownOpts, path: string[] = []): Leaf[] {
  return command.commands
    .filter((child) => child.name() !== "help")
    .flatMap((child) => [
      { path: [...path, child.name()], command: child },
      ...commands(child, [...path, child.name()]),
    ]);
}

const program = matrixProgram({ io: captured(), argv: [], exitCode: 0 });
const all = commands(program);
const leaves = all.filter((leaf) => leaf.command.commands.length === 0);
/** Arguments and required flags that satisfy a leaf, so only the flag under test is wrong. */
const satisfied = (leaf: Leaf) => [
  ...leaf.command.registeredArguments.filter((a) => a.required).map((a) => a.argChoices?.[0] ?? "placeholder"),
  ...(leaf.command.options as readonly Option[]).filter((o) => o.mandatory).flatMap((o) => [o.long!, "placeholder"]),
];
const valued = (leaf: Leaf) => (leaf.command.options as readonly Option[]).filter((o) => o.required && o.long);

/** For a numeric or shaped option: values it must refuse, each with what the line must say. */
function badValues(option: Option): Array<[string, string]> {
  const numeric = numericKind(option);
  const says = (values: string[], expected: string): Array<[string, string]> =>
    values.map((value) => [value, `expected ${expected}, got '${value}'`]);
  const bad: Array<[string, string]> = [];
  if (numeric?.kind === "count")
    bad.push(
      ...says(["-1", "abc", "2.5", ...(numeric.min >= 1 ? ["0"] : [])], `a whole number, ${numeric.min} or more`),
    );
  if (numeric?.kind === "port") bad.push(...says(["-1", "abc", "70000"], "a whole number, 0 to 65535"));
  if (numeric?.kind === "positive") bad.push(...says(["-1", "0", "abc"], "a number above 0"));
  if (numeric?.kind === "non-negative") bad.push(...says(["-1", "abc"], "a number, 0 or more"));
  if (numeric?.kind === "probability") bad.push(...says(["-0.1", "1.5", "abc"], "a number from 0 to 1"));
  if (numeric?.kind === "fraction") bad.push(...says(["0", "1.5", "abc"], "a number above 0, at most 1"));
  if (numeric?.kind === "number") bad.push(...says(["abc"], "a number"));
  const shape = expectedShape(option);
  if (shape !== undefined) bad.push(...says(["nonsense"], shape));
  return bad;
}

interface Case {
  name: string;
  argv: string[];
  /** The command the line must name first ("matrix cluster up"). */
  where: string;
  /** What the line must say. */
  says: string;
}

const cases: Case[] = leaves.flatMap((leaf) => {
  const base = [...leaf.path, ...satisfied(leaf)];
  const where = `matrix ${leaf.path.join(" ")}`;
  const list: Case[] = [
    {
      name: `${where} --no-such-flag`,
      argv: [...base, "--no-such-flag"],
      where,
      says: "unknown option '--no-such-flag'",
    },
  ];
  for (const option of valued(leaf)) {
    list.push({
      name: `${where} ${option.long} (no value)`,
      argv: [...base, option.long!],
      where,
      says: `${option.long} needs a value`,
    });
    const bad = badValues(option);
    for (const [value, expected] of bad)
      list.push({
        name: `${where} ${option.long} ${value}`,
        argv: [...base, option.long!, value],
        where,
        says: `${option.long}: ${expected}`,
      });
  }
  const required = (leaf.command.options as readonly Option[]).filter((o) => o.mandatory);
  if (required.length > 0) {
    const argumentsOnly = leaf.command.registeredArguments
      .filter((a) => a.required)
      .map((a) => a.argChoices?.[0] ?? "placeholder");
    // Reported as what it is, not as the required flag it leaves missing.
    list.push({
      name: `${where} --no-such-flag (a required flag missing too)`,
      argv: [...leaf.path, ...argumentsOnly, "--no-such-flag"],
      where,
      says: "unknown option '--no-such-flag'",
    });
    for (const option of required) {
      const typo = option.long!.slice(0, -1); // "--out" -> "--ou"
      list.push({
        name: `${where} ${typo} (misspelt required flag)`,
        argv: [...leaf.path, ...argumentsOnly, typo, "placeholder"],
        where,
        says: `unknown option '${typo}' (did you mean '${option.long}'?)`,
      });
      list.push({
        name: `${where} without ${option.long}`,
        argv: [...leaf.path, ...argumentsOnly],
        where,
        says: `${option.long} is required`,
      });
    }
  }
  return list;
});

/** Every environment fallback given a value its flag refuses (the root's too: MATRIX_LOG_LEVEL). */
const fromEnvironment: Array<Case & { env: Record<string, string> }> = [
  { path: [] as string[], command: program },
  ...leaves,
].flatMap((leaf) =>
  (leaf.command.options as readonly Option[])
    .filter((option) => option.envVar && (option.argChoices || numericKind(option)))
    .map((option) => {
      const where = ["matrix", ...leaf.path].join(" ");
      return {
        name: `${option.envVar}=nonsense ${where}`,
        // The root's options apply to any command: try them on one that needs nothing else.
        argv: leaf.path.length > 0 ? [...leaf.path, ...satisfied(leaf)] : ["status"],
        env: { [option.envVar!]: "nonsense" },
        where,
        says: `${option.long} (from ${option.envVar}): expected`,
      };
    }),
);

const misspelt: Case[] = all.map((leaf) => {
  const name = leaf.path[leaf.path.length - 1]!;
  const typo = `${name}${name[name.length - 1]}`; // "run" -> "runn"
  return {
    name: `matrix ${[...leaf.path.slice(0, -1), typo].join(" ")}`,
    argv: [...leaf.path.slice(0, -1), typo],
    where: ["matrix", ...leaf.path.slice(0, -1)].join(" "),
    says: `unknown command '${typo}' (did you mean '${name}'?)`,
  };
});

/** Exit 2, nothing on stdout, one line on stderr: "<command>: <problem>; see '<command> --help'". */
function expectUsageLine(code: number, stdout: string, stderr: string, where: string, says: string) {
  expect(code, stderr).toBe(2);
  expect(stdout).toBe("");
  expect(stderr.endsWith("\n")).toBe(true);
  const lines = stderr.trimEnd().split("\n");
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]!.startsWith(`${where}: `), lines[0]).toBe(true);
  expect(lines[0]!.endsWith(`; see '${where} --help'`), lines[0]).toBe(true);
  expect(lines[0]).toContain(says);
  expect(stderr).not.toMatch(/\n\s+at |node:internal|Error \[/);
}

describe("matrix usage errors (enumerated from the command tree)", () => {
  it("finds every command and its counts in the tree (so the cases below are not vacuous)", () => {
    const names = all.map((leaf) => leaf.path.join(" "));
    for (const name of [
      "run",
      "sim",
      "worker",
      "status",
      "cluster up",
      "cluster down",
      "deploy k8s",
      "endpoint list",
      "export",
      "completion",
    ])
      expect(names).toContain(name);
    expect(cases.filter((c) => /expected a whole number/.test(String(c.says))).length).toBeGreaterThan(40);
  });

  it.each([...cases, ...misspelt])("$name", async ({ argv, where, says }) => {
    const io = captured();
    const code = await main(argv, io);
    expectUsageLine(code, io.out, io.err, where, says);
  });

  it("finds the environment fallbacks and the ranged and shaped flags (so the cases are not vacuous)", () => {
    expect(fromEnvironment.map((c) => Object.keys(c.env)[0])).toEqual(
      expect.arrayContaining(["MATRIX_LOG_LEVEL", "MATRIX_SANDBOX", "MATRIX_SANDBOX_CONCURRENCY"]),
    );
    const names = cases.map((c) => c.name);
    for (const name of [
      "matrix sim --max-num-seqs -1",
      "matrix sim --tool-call-rate 1.5",
      "matrix sim --fault-hang -0.1",
      "matrix sim --step-base-ms -1",
      "matrix dedup --threshold 0",
      "matrix run --price nonsense",
      "matrix run --budget-role nonsense",
      "matrix run --option nonsense",
      "matrix fork --set nonsense",
      "matrix keygen --ou (misspelt required flag)",
    ])
      expect(names).toContain(name);
  });

  it.each(fromEnvironment)("$name", async ({ argv, env, where, says }) => {
    // Commander reads fallbacks from process.env itself.
    for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
    onTestFinished(() => void vi.unstubAllEnvs());
    const io = captured();
    const code = await main(argv, io);
    expectUsageLine(code, io.out, io.err, where, says);
  });

  it.each([
    [["dlq", "list"], "matrix dlq list", "--out: say whose dead letters: --out DIR"],
    [["dlq", "show", "x", "--out", "d", "--run", "r"], "matrix dlq show", "--out: give either --out DIR or --run ID"],
    [["dlq", "retry", "--out", "d", "--patch", "{x"], "matrix dlq retry", "--patch: not JSON"],
    [["dlq", "retry", "--out", "d", "--patch", "[1]"], "matrix dlq retry", "--patch: a merge patch is a JSON object"],
    [
      ["dlq", "retry", "--out", "d", "--patch", "{}", "--patch-file", "p.json"],
      "matrix dlq retry",
      "--patch: give --patch or --patch-file, not both",
    ],
    [["run", "quickstart", "--price", "m=1,2"], "matrix run", "--price: prices and --on-limit go with a budget"],
    [["run", "quickstart", "--on-limit", "cancel"], "matrix run", "--on-limit: prices and --on-limit go with a budget"],
    [["dedup", "d", "--bands", "200"], "matrix dedup", "--bands: 200 bands need at least as many permutations"],
    [["deploy", "k8s", "--sandbox", "apptainer"], "matrix deploy k8s", "--sandbox-image: --sandbox apptainer needs"],
  ])("flags that do not go together: matrix %j", async (argv, where, says) => {
    const io = captured();
    const code = await main(argv, io);
    expectUsageLine(code, io.out, io.err, where, says);
  });

  it("a group without its sub-command says which ones exist", async () => {
    for (const group of all.filter((leaf) => leaf.command.commands.length > 0)) {
      const io = captured();
      const code = await main(group.path, io);
      const names = group.command.commands.map((child) => child.name()).filter((name) => name !== "help");
      const where = ["matrix", ...group.path].join(" ");
      expectUsageLine(code, io.out, io.err, where, `missing command: one of ${names.join(", ")}`);
    }
  });

  it("--help of every command exits 0 with its usage on stdout; plain `matrix` prints the help on stderr, exit 2", async () => {
    for (const leaf of all) {
      const io = captured();
      expect(await main([...leaf.path, "--help"], io)).toBe(0);
      expect(io.out).toContain(`Usage: matrix ${leaf.path.join(" ")}`);
      for (const option of valued(leaf)) expect(io.out).toContain(option.long);
      expect(io.err).toBe("");
    }
    const bare = captured();
    expect(await main([], bare)).toBe(2);
    expect(bare.err).toContain("Usage: matrix [options] [command]");
  });

  it("an error that is not the SDK's (a pipeline script that throws) is one line too; MATRIX_DEBUG=1 adds the stack", async () => {
    const file = join(tempDir(), "broken.mjs");
    writeFileSync(file, 'throw new TypeError("boom in the script");\n');
    const io = captured();
    expect(await main(["run", file], io)).toBe(1);
    expect(io.err).toBe("matrix run: TypeError: boom in the script (MATRIX_DEBUG=1 shows the stack)\n");
    const debug = captured({ ...process.env, MATRIX_DEBUG: "1" });
    expect(await main(["run", file], debug)).toBe(1);
    expect(debug.err).toMatch(/^matrix run: TypeError: boom in the script\n\s+at /);
  });

  it("runtime failures exit 1 with the named SDK error in one line", async () => {
    const io = captured();
    expect(await main(["run", "no-such-recipe"], io)).toBe(1);
    expect(io.err).toMatch(
      /^matrix run: ConfigError: .*'no-such-recipe' is neither a recipe \(.*quickstart.*\) nor a file\n$/,
    );
  });
});

describe("the real binary", () => {
  const matrix = (args: string[]) =>
    spawnSync(process.execPath, ["bin/matrix.js", ...args], { encoding: "utf8", timeout: 60_000 });

  it("the issue's examples: one line, exit 2, no stack trace", () => {
    const examples: Array<[string[], string, string]> = [
      [["run", "quickstart", "--bogus"], "matrix run", "unknown option '--bogus'"],
      [["run", "quickstart", "--rows", "-1"], "matrix run", "--rows: expected a whole number, 1 or more, got '-1'"],
      [["run", "quickstart", "--rws", "5"], "matrix run", "unknown option '--rws' (did you mean '--rows'?)"],
      [["runn", "quickstart"], "matrix", "unknown command 'runn' (did you mean 'run'?)"],
      [["cluster", "up", "--workers"], "matrix cluster up", "--workers needs a value"],
    ];
    for (const [args, where, says] of examples) {
      const result = matrix(args);
      expectUsageLine(result.status!, result.stdout, result.stderr, where, says);
    }
  });

  it("--version prints the package version", () => {
    const result = matrix(["--version"]);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });
});
