/**
 * Benchmark: the sandbox's start-up overhead per call — a trivial program run through bubblewrap
 * (namespaces, mounts, prlimit) against the same interpreter spawned directly — and calls/s with
 * concurrent programs. Prints figures; asserts nothing (compare within one run: the machine is shared).
 *
 * Run: npx tsx bench/sandbox.ts [calls]   (needs bubblewrap: apt-get install bubblewrap)
 */
import { spawn } from "node:child_process";
import { availableParallelism, cpus, loadavg } from "node:os";
import { Sandbox } from "../sdk/sandbox/sandbox.js";

const calls = Number(process.argv[2] ?? 30);
const sandbox = new Sandbox();
const programs = {
  bash: { code: "true", direct: ["/bin/bash", ["-c", "true"]] },
  python: { code: "pass", direct: ["/usr/bin/python3", ["-c", "pass"]] },
  node: { code: "", direct: ["/usr/bin/node", ["-e", ""]] },
} as const;

function spawnDirect(file: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    // The same clean environment the sandbox gives (tsx's NODE_OPTIONS would slow node down).
    const child = spawn(file, args, { stdio: "ignore", env: { PATH: "/usr/bin:/bin" } });
    child.on("error", reject);
    child.on("close", () => resolve());
  });
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

process.stdout.write(
  `Sandbox start-up, ${calls} calls each, one at a time (${cpus().length} cores: ${cpus()[0]?.model ?? "?"}, load ${loadavg()[0]!.toFixed(1)})\n\n` +
    `language   sandboxed (median)   direct spawn (median)   overhead per call\n`,
);
await sandbox.run({ language: "bash", code: "true" }); // the one-time runtime probe
for (const [language, program] of Object.entries(programs) as Array<
  [keyof typeof programs, (typeof programs)[keyof typeof programs]]
>) {
  const sandboxed: number[] = [];
  const direct: number[] = [];
  for (let i = 0; i < calls; i++) {
    let start = performance.now();
    const result = await sandbox.run({ language, code: program.code });
    if (result.exitCode !== 0) throw new Error(`${language} failed in the sandbox: ${result.stderr}`);
    sandboxed.push(performance.now() - start);
    start = performance.now();
    await spawnDirect(program.direct[0], program.direct[1]);
    direct.push(performance.now() - start);
  }
  const [s, d] = [median(sandboxed), median(direct)];
  process.stdout.write(
    `${language.padEnd(10)} ${s.toFixed(1).padStart(10)} ms ${d.toFixed(1).padStart(20)} ms ${(s - d).toFixed(1).padStart(16)} ms\n`,
  );
}

const parallel = availableParallelism();
const start = performance.now();
await Promise.all(Array.from({ length: calls * 2 }, () => sandbox.run({ language: "python", code: "pass" })));
const seconds = (performance.now() - start) / 1000;
process.stdout.write(
  `\npython, ${calls * 2} calls at sandbox concurrency ${parallel}: ${((calls * 2) / seconds).toFixed(1)} calls/s\n`,
);
