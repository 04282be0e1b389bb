/**
 * Every `matrix ...` line the project tells users to type (README.md and docs/*.md code blocks) and
 * every one the deployment generators write into SLURM scripts and Kubernetes manifests is accepted by
 * the command tree: no unknown flag, no bad value. Actions are replaced by no-ops, so only parsing runs.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { CommandUnknownOpts } from "@commander-js/extra-typings";
import { describe, expect, it } from "vitest";
import { k8sManifests } from "../../sdk/cli/deploy-k8s.js";
import { deployOptions } from "../../sdk/cli/deploy-options.js";
import { slurmScript } from "../../sdk/cli/deploy-slurm.js";
import { matrixProgram } from "../../sdk/cli/program.js";

/** Splits a shell command line into words (double and single quotes; no expansion). */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2] ?? match[3]!);
}

/** `matrix ...` lines inside the code blocks of README.md and docs/*.md, placeholders filled in. */
function documentedLines(): Array<{ where: string; args: string[] }> {
  const files = ["README.md", ...readdirSync("docs").map((name) => join("docs", name))].filter((f) =>
    f.endsWith(".md"),
  );
  return files.flatMap((file) => {
    const found: Array<{ where: string; args: string[] }> = [];
    let inCode = false;
    let pending = "";
    for (const raw of readFileSync(file, "utf8").split("\n")) {
      if (raw.startsWith("```")) {
        inCode = !inCode;
        continue;
      }
      if (!inCode) continue;
      const line = pending + raw;
      pending = "";
      if (line.endsWith("\\")) {
        pending = `${line.slice(0, -1)} `;
        continue;
      }
      const command = line
        .replace(/^\$ /, "")
        .replace(/\s+#.*$/, "")
        .replace(/<port>/g, "4222")
        .replace(/\s*[>|].*$/, "") // a redirection or a pipe ends the matrix command
        .trim();
      if (!/^(npx )?matrix [a-z]/.test(command) || /[<[]/.test(command)) continue;
      found.push({ where: `${file}: ${command}`, args: words(command.replace(/^(npx )?matrix /, "")) });
    }
    return found;
  });
}

/** The matrix command lines in a generated SLURM script and in the Kubernetes manifests. */
function generatedLines(): Array<{ where: string; args: string[] }> {
  const options = deployOptions({ servers: 2, workers: 3, engine: "sglang", model: "Qwen/Qwen3-8B" });
  const slurm = [...slurmScript(options, "quickstart --rows 100").matchAll(/bin\/matrix\.js" ([^\n&]*)/g)].map(
    (match) => match[1]!.trim(),
  );
  const k8s: string[] = [];
  const visit = (value: unknown): void => {
    if (Array.isArray(value) && value.includes("bin/matrix.js"))
      k8s.push(value.slice(value.indexOf("bin/matrix.js") + 1).join(" "));
    else if (typeof value === "string" && value.includes("bin/matrix.js ")) k8s.push(value.split("bin/matrix.js ")[1]!);
    else if (value && typeof value === "object") Object.values(value).forEach(visit);
  };
  visit(k8sManifests(options));
  return [...slurm.map((line) => `slurm: ${line}`), ...k8s.map((line) => `k8s: ${line}`)].map((where) => ({
    where,
    args: words(where.replace(/^\w+: /, "")),
  }));
}

async function parseError(args: string[]): Promise<string | undefined> {
  const program = matrixProgram({
    io: { stdout: () => {}, stderr: () => {}, interactive: false, env: process.env },
    argv: args,
    exitCode: 0,
  });
  const stub = (command: CommandUnknownOpts) => {
    command.exitOverride().configureOutput({ writeOut: () => {}, writeErr: () => {}, outputError: () => {} });
    if (command.commands.length === 0) command.action(() => {});
    command.commands.forEach(stub);
  };
  stub(program);
  try {
    await program.parseAsync(args, { from: "user" });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

describe("command lines in the docs and the generated deployments", () => {
  const documented = documentedLines();
  const generated = generatedLines();

  it("finds them (README, docs/cluster.md, SLURM and Kubernetes)", () => {
    expect(documented.length).toBeGreaterThan(8);
    expect(documented.some(({ where }) => where.startsWith("docs/cluster.md: matrix deploy slurm"))).toBe(true);
    const kinds = (prefix: string) =>
      generated.filter(({ where }) => where.startsWith(prefix)).map(({ args }) => args[0]);
    expect(kinds("slurm")).toEqual(expect.arrayContaining(["endpoint", "worker", "run"]));
    expect(kinds("k8s")).toEqual(expect.arrayContaining(["endpoint", "worker"]));
  });

  it.each([...documented, ...generated])("$where", async ({ args }) => {
    expect(await parseError(args)).toBeUndefined();
  });
});
