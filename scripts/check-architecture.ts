/**
 * The architecture check run by `npm test`: dependency direction between SDK folders (DESIGN §4),
 * which folders may import which packages, and what tslab cannot load (no `import.meta`, no
 * top-level await) or library code must not do (no `console`).
 *
 * Where you are: `scripts/`, developer tooling. Change the tables below only with DESIGN §4.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const root = resolve(process.argv[2] ?? ".");
const sdk = join(root, "sdk");

/** Lower tiers never import higher ones; a folder may import its own tier except where noted. */
const TIERS: Record<string, number> = {
  "": 0, // sdk/errors.ts, sdk/logger.ts
  schema: 0,
  trust: 0, // signing: Node crypto only
  bus: 1,
  llm: 1,
  flow: 2,
  agent: 2,
  quality: 2,
  tools: 2,
  // sandbox/ is a leaf of agent/ and tools/; tier 2 so it can share llm/concurrency-limiter.
  sandbox: 2,
  driver: 2,
  sink: 2,
  pipeline: 3,
  worker: 3,
  // metrics sits beside pipeline and worker, which serve its live Prometheus registry (metricsPort).
  metrics: 3,
  recipes: 4,
  notebook: 4,
  cli: 4,
  index: 5,
};
/** Folders of tier 0 and 1 may not import their tier peers (schema ↛ errors is allowed: both are roots). */
const ISOLATED = new Set(["bus", "llm"]);

/** Packages only one folder may import. */
const OWNED_PACKAGES: Array<[RegExp, string[]]> = [
  [/^openai($|\/)/, ["llm"]],
  [/^@nats-io\//, ["bus", "cli"]],
  [/^tslab($|\/)/, ["notebook"]],
  [/^(commander|@commander-js\/extra-typings)($|\/)/, ["cli"]],
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : path.endsWith(".ts") ? [path] : [];
  });
}

function folderOf(file: string): string {
  const rel = relative(sdk, file);
  if (rel === "index.ts") return "index";
  const parts = rel.split("/");
  return parts.length === 1 ? "" : parts[0]!;
}

const problems: string[] = [];
const importPattern = /(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

for (const file of files(sdk)) {
  const text = readFileSync(file, "utf8");
  const folder = folderOf(file);
  const where = relative(root, file);
  const lines = text.split("\n");
  lines.forEach((line, index) => {
    const code = line.replace(/\/\/.*$/, "");
    if (/\bimport\.meta\b/.test(code))
      problems.push(`${where}:${index + 1}: import.meta does not load under tslab (CommonJS)`);
    if (/^await\s/.test(code))
      problems.push(`${where}:${index + 1}: top-level await does not load under tslab (CommonJS)`);
    if (/\bconsole\.(log|error|warn|info|debug)\(/.test(code) && folder !== "cli") {
      problems.push(`${where}:${index + 1}: console in library code; use the pino logger (sdk/logger.ts)`);
    }
  });
  for (const match of text.matchAll(importPattern)) {
    const specifier = match[1] ?? match[2]!;
    if (specifier.startsWith(".")) {
      const target = resolve(dirname(file), specifier);
      if (!target.startsWith(sdk)) {
        problems.push(`${where}: imports ${specifier}, outside sdk/`);
        continue;
      }
      const targetFolder = folderOf(target.replace(/\.js$/, ".ts"));
      if (targetFolder === folder) continue;
      const from = TIERS[folder];
      const to = TIERS[targetFolder];
      if (from === undefined || to === undefined) {
        problems.push(`${where}: folder '${folder || targetFolder}' has no tier in scripts/check-architecture.ts`);
      } else if (
        to > from ||
        (to === from && (ISOLATED.has(folder) || from === 0) && folder !== "" && targetFolder !== "")
      ) {
        problems.push(
          `${where}: '${folder || "sdk root"}' may not import '${targetFolder}' (${specifier}); see DESIGN §4`,
        );
      }
    } else {
      for (const [pattern, owners] of OWNED_PACKAGES) {
        if (pattern.test(specifier) && !owners.includes(folder)) {
          problems.push(`${where}: only ${owners.join(", ")} may import '${specifier}'`);
        }
      }
    }
  }
}

if (problems.length > 0) {
  process.stderr.write(`Architecture check failed:\n${problems.map((p) => `  - ${p}`).join("\n")}\n`);
  process.exit(1);
}
process.stdout.write(`Architecture check passed (${files(sdk).length} files).\n`);
