/**
 * Benchmark: wall time of the `matrix` command from start to exit, for `matrix --help` (the command
 * tree only) and `matrix run quickstart --rows 5` (a small offline run): median wall and CPU seconds of
 * N runs, interleaved (needs GNU time at /usr/bin/time).
 * With `--compare DIR` (another checkout with node_modules, e.g. an older commit), the same commands
 * run there too, in the same loop, and the ratios are printed. Asserts nothing (the machine is shared
 * and noisy: compare the figures of one run).
 *
 * Run: npm run bench:cli [-- --runs 7 --compare /path/to/other/checkout]
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { runs: { type: "string" }, compare: { type: "string" } } });
const runs = Number(values.runs ?? 7);
const trees = [resolve("."), ...(values.compare ? [resolve(values.compare)] : [])];
const out = mkdtempSync(join(tmpdir(), "matrix-bench-cli-"));

const cases: Record<string, string[]> = {
  "matrix --help": ["--help"],
  "matrix run quickstart --rows 5": ["run", "quickstart", "--rows", "5", "--quiet", "--out", join(out, "run")],
};

/** Wall and CPU (user + system) seconds of one run; CPU is the steadier figure on a loaded machine. */
function measure(tree: string, args: string[]): { wall: number; cpu: number } {
  const started = process.hrtime.bigint();
  const { OPENAI_BASE_URL: _url, OPENAI_BASE_URLS: _urls, ...env } = process.env;
  // GNU time writes "user system" to the file given with -o: the child's own CPU, whatever the load.
  const timing = join(out, "time.txt");
  const result = spawnSync(
    "/usr/bin/time",
    ["-f", "%U %S", "-o", timing, process.execPath, join(tree, "bin/matrix.js"), ...args],
    { encoding: "utf8", env },
  );
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  if (result.status !== 0) throw new Error(`${tree}: matrix ${args.join(" ")} failed:\n${result.stderr}`);
  const [user, system] = readFileSync(timing, "utf8").trim().split(/\s+/).slice(-2).map(Number);
  return { wall, cpu: user! + system! };
}

const median = (list: number[]) => [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)]!;

try {
  console.log(`${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(1)}, node ${process.version}, ${runs} runs each`);
  for (const [name, args] of Object.entries(cases)) {
    const samples = trees.map(() => [] as Array<{ wall: number; cpu: number }>);
    for (let run = 0; run < runs; run++) trees.forEach((tree, i) => samples[i]!.push(measure(tree, args)));
    const figures = samples.map((list) => ({
      wall: median(list.map((s) => s.wall)),
      cpu: median(list.map((s) => s.cpu)),
    }));
    const line = trees
      .map((tree, i) => `wall ${figures[i]!.wall.toFixed(2)} s, cpu ${figures[i]!.cpu.toFixed(2)} s (${tree})`)
      .join(" vs ");
    const ratio =
      figures.length > 1
        ? `; ratios wall ${(figures[0]!.wall / figures[1]!.wall).toFixed(2)}, cpu ${(figures[0]!.cpu / figures[1]!.cpu).toFixed(2)}`
        : "";
    console.log(`${name}: median ${line}${ratio}`);
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
