/**
 * The sandbox with real bubblewrap: what untrusted code can and cannot do, and that every limit ends
 * the program (and everything it started) while the caller goes on.
 */
import { chmodSync, readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import { SandboxRequestError, SandboxUnavailableError } from "../../sdk/errors.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { Sandbox } from "../../sdk/sandbox/sandbox.js";
import { describeWithBwrap } from "../helpers/bubblewrap.js";
import { tempDir } from "../helpers/temp-dir.js";

/** Host processes whose command line holds `marker` (the sandbox's, seen from outside). */
function processesWith(marker: string): number {
  let count = 0;
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      if (readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(marker)) count++;
    } catch {
      // Gone meanwhile.
    }
  }
  return count;
}

describeWithBwrap("sandbox (bubblewrap)", () => {
  const sandbox = new Sandbox({ concurrency: 2 });

  it("runs python, node and bash with stdin, extra files and arguments", async () => {
    const python = await sandbox.run({
      language: "python",
      code: "import sys, helper\nprint(helper.double(int(sys.stdin.read())), sys.argv[1])",
      stdin: "21",
      files: { "helper.py": "def double(x):\n    return 2 * x\n" },
      args: ["arg!"],
    });
    expect(python).toMatchObject({ stdout: "42 arg!\n", exitCode: 0, timedOut: false });
    expect(python.durationMs).toBeGreaterThan(0);
    const node = await sandbox.run({ language: "node", code: "process.stdout.write(String(6 * 7)); process.exit(3)" });
    expect(node).toMatchObject({ stdout: "42", exitCode: 3 });
    const bash = await sandbox.run({
      language: "bash",
      code: "cat data/in.txt | tr a-z A-Z",
      files: { "data/in.txt": "hi" },
    });
    expect(bash).toMatchObject({ stdout: "HI", exitCode: 0 });
  });

  it("cannot reach the network: only its own loopback, so a server on the host's loopback is unreachable", async () => {
    const server = createServer((socket) => socket.end("reached the host\n"));
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const result = await sandbox.run({
        language: "python",
        code: [
          "import socket",
          "print(sorted(name for _, name in socket.if_nameindex()))",
          "s = socket.socket()",
          "s.settimeout(3)",
          "try:",
          `    s.connect(("127.0.0.1", ${port})); print(s.recv(100))`,
          "except OSError as e:",
          "    print('refused', e.errno)",
        ].join("\n"),
      });
      expect(result.stdout).toContain("['lo']");
      expect(result.stdout).toContain("refused");
      expect(result.stdout).not.toContain("reached the host");
    } finally {
      server.close();
    }
  });

  it("cannot write outside its work directory, nor see the host's files", async () => {
    const result = await sandbox.run({
      language: "bash",
      code: [
        "for target in /usr/evil /evil /etc/evil /tmp/evil /proc/evil; do",
        '  if (echo x > "$target") 2>/dev/null; then echo "WROTE $target"; else echo "denied $target"; fi',
        "done",
        "echo ok > inside.txt && cat inside.txt",
        `ls /root /home ${JSON.stringify(process.cwd())} 2>&1 | head -3`,
      ].join("\n"),
    });
    expect(result.stdout).not.toContain("WROTE");
    expect(result.stdout.match(/denied/g)).toHaveLength(5);
    expect(result.stdout).toContain("ok\n");
    expect(result.stdout).toMatch(/No such file or directory/);
  });

  it("cannot see the host's environment variables (no API key), not even through /proc", async () => {
    const secret = `sk-test-${randomBytes(8).toString("hex")}`;
    process.env.OPENAI_API_KEY = secret;
    try {
      const result = await sandbox.run({
        language: "bash",
        code: "env; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'",
      });
      expect(result.exitCode).toBe(0);
      expect(result.stdout).toContain("HOME=/work");
      expect(result.stdout).not.toContain(secret);
      expect(result.stdout).not.toContain("OPENAI_API_KEY");
    } finally {
      delete process.env.OPENAI_API_KEY;
    }
  });

  it("is killed at its time limit, with every process it started", async () => {
    const marker = `marker-${randomBytes(6).toString("hex")}`;
    const result = await sandbox.run({
      language: "bash",
      code: "sleep 600 & sleep 600 & while true; do :; done",
      args: [marker],
      timeoutMs: 1500,
    });
    expect(result).toMatchObject({ timedOut: true, limit: "time", exitCode: null, signal: "SIGKILL" });
    expect(result.durationMs).toBeGreaterThanOrEqual(1500);
    expect(processesWith(marker)).toBe(0);
  });

  it("is stopped at its CPU-time limit (SIGXCPU), however long the busy machine takes to get there", async () => {
    // The wall-clock limit is far away: only the CPU-time limit can end this loop.
    const busy = await sandbox.run({
      language: "bash",
      code: "while true; do :; done",
      cpuSeconds: 1,
      timeoutMs: 120_000,
    });
    expect(busy).toMatchObject({ limit: "cpu", signal: "SIGXCPU", exitCode: null, timedOut: false });
  });

  it("reports a program ended by a signal as that signal, and its own exit code as it is", async () => {
    const killed = await sandbox.run({ language: "bash", code: "kill -SEGV $$" });
    expect(killed).toMatchObject({ exitCode: null, signal: "SIGSEGV", timedOut: false });
    expect(killed.limit).toBeUndefined();
    const exited = await sandbox.run({ language: "bash", code: "exit 7" });
    expect(exited).toMatchObject({ exitCode: 7 });
    expect(exited.signal).toBeUndefined();
  });

  it("has its own PID namespace: it sees only its own processes, none of the host's", async () => {
    const result = await sandbox.run({
      language: "bash",
      code: "ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '; echo; echo $$",
    });
    const [visible, self] = result.stdout.trim().split("\n");
    const pids = visible!.trim().split(" ").map(Number);
    // bubblewrap's init, the program, ls, grep, sort and tr: a handful of small pids, and not this process.
    expect(pids.length).toBeLessThan(10);
    expect(Math.max(...pids)).toBeLessThan(20);
    expect(pids).not.toContain(process.pid);
    expect(Number(self)).toBeLessThan(10);
  });

  it("is stopped at its memory limit (python and node)", async () => {
    const python = await sandbox.run({
      language: "python",
      code: "blocks = []\nwhile True:\n    blocks.append(bytearray(10_000_000))",
      memoryMB: 128,
    });
    expect(python).toMatchObject({ limit: "memory", timedOut: false });
    expect(python.exitCode).not.toBe(0);
    expect(python.stderr).toContain("MemoryError");
    const node = await sandbox.run({
      language: "node",
      code: "const a = []; while (true) a.push(new Array(1e6).fill(1.5));",
      memoryMB: 96,
      timeoutMs: 30_000,
    });
    expect(node).toMatchObject({ limit: "memory", timedOut: false });
    expect(node.exitCode).not.toBe(0);
  });

  it("contains a fork bomb, and the next program runs normally", async () => {
    const marker = `marker-${randomBytes(6).toString("hex")}`;
    // The script stays alive while the bomb runs into the process limit (bash then says "fork: retry:
    // Resource temporarily unavailable"); it would otherwise end at once and take the bomb with it.
    const bomb = await sandbox.run({
      language: "bash",
      code: "bomb() { bomb | bomb & }; bomb; sleep 3; echo survived",
      args: [marker],
      timeoutMs: 8000,
    });
    expect(bomb.stderr).toMatch(/Resource temporarily unavailable|retry/);
    expect(processesWith(marker)).toBe(0);
    const after = await sandbox.run({ language: "python", code: "print('still fine')" });
    expect(after).toMatchObject({ stdout: "still fine\n", exitCode: 0 });
  });

  it("in a pipeline run, programs that bomb, hog memory or loop end at their limits and the run goes on", async () => {
    const p = pipeline("untrusted").code("run", async (task, ctx) => {
      const result = await ctx.sandbox!.run({
        language: "bash",
        code: task.row!.code as string,
        timeoutMs: task.row!.timeoutMs as number,
        memoryMB: 64,
      });
      return { state: { exitCode: result.exitCode, limit: result.limit ?? null, stdout: result.stdout } };
    });
    const rows = [
      { id: "bomb", code: "bomb() { bomb | bomb & }; bomb; sleep 2; echo survived", timeoutMs: 20_000 },
      { id: "hog", code: "x=a; while true; do x=$x$x; done", timeoutMs: 20_000 },
      { id: "loop", code: "while true; do :; done", timeoutMs: 2000 },
      { id: "fine", code: "echo $((6 * 7))", timeoutMs: 20_000 },
    ];
    const run = p.run({ source: rows, sandbox: new Sandbox({ concurrency: 2 }) });
    const summary = await run.done();
    expect(summary.counts).toEqual({ done: 4, failed: 0, filtered: 0 });
    const state = Object.fromEntries(run.results().map((task) => [task.id, task.state]));
    expect(state.fine).toMatchObject({ exitCode: 0, stdout: "42\n" });
    expect(state.loop).toMatchObject({ limit: "time" });
    expect(state.hog).toMatchObject({ limit: "memory" });
    expect(state.hog!.exitCode).not.toBe(0);
    // The bomb stopped at the process limit; the script itself went on to its end.
    expect(state.bomb).toMatchObject({ stdout: "survived\n" });
  });

  it("caps the output it keeps, and says so", async () => {
    const small = new Sandbox({ maxOutputBytes: 1000 });
    const result = await small.run({ language: "python", code: "print('x' * 5_000_000)\nprint('done')" });
    expect(result.stdout).toHaveLength(1000);
    expect(result).toMatchObject({ exitCode: 0, limit: "output", truncated: { stdout: true } });
  });

  it("runs at most `concurrency` programs at once; the rest wait", async () => {
    const one = new Sandbox({ concurrency: 1 });
    let peak = 0;
    const watch = setInterval(() => (peak = Math.max(peak, one.load.running)), 5);
    const runs = await Promise.all([1, 2, 3].map((n) => one.run({ language: "bash", code: `sleep 0.2; echo ${n}` })));
    clearInterval(watch);
    expect(runs.map((r) => r.stdout)).toEqual(["1\n", "2\n", "3\n"]);
    expect(peak).toBe(1);
  });

  it("refuses a bad request with its path, and says how to install a missing bubblewrap", async () => {
    await expect(sandbox.run({ language: "python", code: "", files: { "../escape.py": "x" } })).rejects.toThrow(
      SandboxRequestError,
    );
    await expect(sandbox.run({ language: "python", code: "", files: { "../escape.py": "x" } })).rejects.toThrow(
      `Invalid sandbox request at files["../escape.py"]: a file path is relative to the work directory`,
    );
    await expect(sandbox.run({ language: "ruby" as never, code: "" })).rejects.toThrow(/language/);
    for (const path of [".", "a/", "a//b", "x/./y"])
      await expect(sandbox.run({ language: "bash", code: "", files: { [path]: "x" } }), path).rejects.toThrow(
        /at files\[".*"\]: .*without '\.\.', '\.' or empty segments/,
      );
    // Files that cannot coexist: a named error, and no work directory left behind.
    const root = tempDir();
    chmodSync(root, 0o755); // bubblewrap may run as nobody (see sandbox.ts)
    const rooted = new Sandbox({ workRoot: root });
    await expect(rooted.run({ language: "bash", code: "", files: { a: "1", "a/b": "2" } })).rejects.toThrow(
      /Invalid sandbox request at files\["a\/b"\]: cannot be written/,
    );
    expect(await rooted.run({ language: "bash", code: "cat a/b", files: { "a/b": "2" } })).toMatchObject({
      stdout: "2",
    });
    expect(readdirSync(root)).toEqual([]);
    const missing = new Sandbox({ bwrapPath: "/nonexistent/bwrap" });
    await expect(missing.run({ language: "bash", code: "true" })).rejects.toThrow(SandboxUnavailableError);
    await expect(missing.run({ language: "bash", code: "true" })).rejects.toThrow(/apt-get install bubblewrap/);
  });
});
