/**
 * The command lines that run a program in a sandbox: the resource limits (prlimit) around the
 * interpreter, inside bubblewrap or Apptainer. Pure functions of their inputs, so the exact flags
 * are unit-tested on machines that have neither runtime.
 *
 * Where you are: `sandbox/`. Both backends give the same program the same view: a read-only system,
 * the work directory at /work (its only writable place, also HOME and TMPDIR), no network (loopback
 * only), its own PID namespace, an environment of only the variables below, and prlimit's limits:
 * CPU seconds, address space, processes (a fork bomb stops there), file size, open files.
 */
import type { SandboxLanguage } from "./sandbox-request.js";

/** Where the work directory appears inside the sandbox. */
export const WORK = "/work";

/** The program's whole environment: nothing of the host's (no API keys, no credentials). */
export const SANDBOX_ENV: Readonly<Record<string, string>> = {
  PATH: "/usr/local/bin:/usr/bin:/bin",
  HOME: WORK,
  TMPDIR: WORK,
  LANG: "C.UTF-8",
  PYTHONDONTWRITEBYTECODE: "1",
};

export interface Limits {
  cpuSeconds: number;
  /** RLIMIT_AS, bytes. */
  addressSpaceBytes: number;
  processes: number;
  fileBytes: number;
  openFiles: number;
}

export const PROGRAM_FILE: Record<SandboxLanguage, string> = { python: "main.py", node: "main.js", bash: "main.sh" };

/**
 * V8 reserves ~0.7 GB of address space before running a line (measured: VmSize 710 MB for an empty
 * script), so for node the memory limit caps the JS heap (--max-old-space-size) and the address
 * space gets this allowance on top.
 */
export const NODE_ADDRESS_SPACE_ALLOWANCE_MB = 1024;

/** The interpreter invocation for a language: the program file, then its arguments. */
export function interpreterCommand(
  language: SandboxLanguage,
  interpreter: string,
  memoryMB: number,
  args: readonly string[],
): string[] {
  const file = `${WORK}/${PROGRAM_FILE[language]}`;
  switch (language) {
    case "python":
      // -E: ignore PYTHON* variables; -s: no user site; -B: write no .pyc. (Not -I: it would drop
      // the work directory from sys.path, and the program's own modules live there.)
      return [interpreter, "-E", "-s", "-B", file, ...args];
    case "node":
      return [interpreter, `--max-old-space-size=${memoryMB}`, file, ...args];
    case "bash":
      return [interpreter, "--noprofile", "--norc", file, ...args];
  }
}

/** The address-space limit for a language and memory budget. */
export function addressSpaceBytes(language: SandboxLanguage, memoryMB: number): number {
  const mb = language === "node" ? memoryMB + NODE_ADDRESS_SPACE_ALLOWANCE_MB : memoryMB;
  return mb * 1024 * 1024;
}

/** `prlimit` around a command (util-linux; in /usr/bin on Debian and in most images). */
export function limitedCommand(prlimit: string, limits: Limits, command: readonly string[]): string[] {
  return [
    prlimit,
    // Soft below hard: the kernel sends SIGXCPU at the soft limit (the result then says limit "cpu");
    // with the two equal it sends only SIGKILL. The hard limit a second later ends a program that ignores it.
    `--cpu=${limits.cpuSeconds}:${limits.cpuSeconds + 1}`,
    `--as=${limits.addressSpaceBytes}`,
    `--nproc=${limits.processes}`,
    `--fsize=${limits.fileBytes}`,
    `--nofile=${limits.openFiles}`,
    "--core=0",
    "--",
    ...command,
  ];
}

/** How the host's root directories appear in the sandbox: merged-/usr symlinks stay symlinks. */
export interface HostLayout {
  /** Read-only bind mounts (host path = sandbox path). */
  readOnly: readonly string[];
  /** `[target, path]`: e.g. `["usr/bin", "/bin"]` on a merged-/usr system. */
  symlinks: ReadonlyArray<readonly [string, string]>;
}

/** `bwrap` arguments: every namespace unshared, the host layout read-only, /work writable, root read-only. */
export function bubblewrapArgs(options: {
  layout: HostLayout;
  workDir: string;
  env: Readonly<Record<string, string>>;
  command: readonly string[];
}): string[] {
  const args: string[] = [];
  for (const path of options.layout.readOnly) args.push("--ro-bind", path, path);
  for (const [target, path] of options.layout.symlinks) args.push("--symlink", target, path);
  args.push(
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--bind",
    options.workDir,
    WORK,
    "--chdir",
    WORK,
    // user, ipc, pid, net, uts, cgroup: loopback only, its own PIDs.
    "--unshare-all",
    "--die-with-parent",
    "--new-session",
    "--cap-drop",
    "ALL",
    "--clearenv",
  );
  for (const [name, value] of Object.entries(options.env)) args.push("--setenv", name, value);
  // The sandbox's own root (a tmpfs bwrap builds) is made read-only last, so /work is the only writable place.
  args.push("--remount-ro", "/", "--", ...options.command);
  return args;
}

/**
 * `apptainer exec` arguments for the same program: `--containall` (own PID/IPC namespaces, a
 * minimal /dev, no host home or /tmp), `--cleanenv` plus only our variables, no network namespace
 * members (`--net --network none`), the work directory bound at /work. The image supplies the
 * interpreters and prlimit.
 */
export function apptainerArgs(options: {
  image: string;
  workDir: string;
  env: Readonly<Record<string, string>>;
  command: readonly string[];
}): string[] {
  const args = ["exec", "--containall", "--cleanenv", "--no-home", "--net", "--network", "none"];
  args.push("--bind", `${options.workDir}:${WORK}`, "--pwd", WORK);
  for (const [name, value] of Object.entries(options.env)) args.push("--env", `${name}=${value}`);
  args.push(options.image, ...options.command);
  return args;
}
