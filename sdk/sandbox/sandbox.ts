/**
 * The sandbox: runs untrusted (model-written) Python, Node or Bash with no network, a read-only
 * system, a private work directory, its own PID namespace, CPU-time, memory, process, file-size and
 * output limits, and a wall-clock timeout that kills everything it started.
 *
 * Where you are: `sandbox/`, a leaf that code roles (`ctx.sandbox`), tools and recipes call. Locally
 * it uses bubblewrap (Debian `bubblewrap`); on clusters Apptainer with an image (`backend:
 * "apptainer"`). One Sandbox per process bounds how many programs run at once (`concurrency`); the
 * default one (`defaultSandbox()`) is configured by MATRIX_SANDBOX, MATRIX_SANDBOX_IMAGE and
 * MATRIX_SANDBOX_CONCURRENCY, so workers started by deploy templates pick it up.
 *
 * When this process is root, the program runs as `nobody` (uid 65534): bubblewrap then builds an
 * unprivileged user namespace, and the kernel enforces the process limit (it never does for uid 0).
 */
import { spawn, spawnSync } from "node:child_process";
import { chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, constants, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { SandboxRequestError, SandboxUnavailableError } from "../errors.js";
import { formatIssuePath } from "../schema/issue-path.js";
import { ConcurrencyLimiter } from "../llm/concurrency-limiter.js";
import {
  addressSpaceBytes,
  apptainerArgs,
  bubblewrapArgs,
  interpreterCommand,
  limitedCommand,
  PROGRAM_FILE,
  SANDBOX_ENV,
  type HostLayout,
  type Limits,
} from "./sandbox-command.js";
import {
  SandboxRequestSchema,
  type SandboxLanguage,
  type SandboxRequest,
  type SandboxResult,
  type SandboxRunner,
} from "./sandbox-request.js";

export type SandboxBackend = "bwrap" | "apptainer";

export interface SandboxOptions {
  /** `bwrap` (bubblewrap, the default) or `apptainer` (needs `image`). @default MATRIX_SANDBOX, else "bwrap" */
  backend?: SandboxBackend;
  /** The Apptainer image: a `.sif` path or a URI such as `docker://python:3.12-slim`. @default MATRIX_SANDBOX_IMAGE */
  image?: string;
  /** Programs run at once by this sandbox; the rest wait. @default MATRIX_SANDBOX_CONCURRENCY, else the CPU count */
  concurrency?: number;
  /** Bytes kept of each of stdout and stderr; the rest is discarded. @default 1 MiB */
  maxOutputBytes?: number;
  /** Processes and threads the program may have at once. @default 64 */
  maxProcesses?: number;
  /** Largest file the program may write. @default 16 MiB */
  maxFileBytes?: number;
  /** Interpreter paths inside the sandbox. @default python3, node and bash from /usr/bin (node: this process's when under /usr) */
  interpreters?: Partial<Record<SandboxLanguage, string>>;
  /** The bubblewrap binary. @default the first `bwrap` in /usr/bin, /usr/local/bin, /bin */
  bwrapPath?: string;
  /** The Apptainer binary. @default `apptainer`, else `singularity`, on PATH */
  apptainerPath?: string;
  /** Where work directories are made. @default os.tmpdir() */
  workRoot?: string;
}

const DEFAULTS = { timeoutMs: 10_000, memoryMB: 512 };

/** How errors name one of the request's files: `files["a/b.py"]`. */
const filePath = (relative: string) => `files[${JSON.stringify(relative)}]`;
const NOBODY = 65534;

function findOnPath(names: readonly string[], extra: readonly string[] = []): string | undefined {
  const dirs = [...extra, ...(process.env.PATH ?? "").split(":").filter(Boolean)];
  for (const name of names) for (const dir of dirs) if (existsSync(join(dir, name))) return join(dir, name);
  return undefined;
}

/** The host's top-level directories as the sandbox shows them: /usr read-only, merged-/usr links as links. */
export function hostLayout(): HostLayout {
  const readOnly = ["/usr"];
  const symlinks: Array<[string, string]> = [];
  for (const path of ["/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"]) {
    if (!existsSync(path)) continue;
    const stat = lstatSync(path);
    if (stat.isSymbolicLink()) symlinks.push([readlinkSync(path), path]);
    else if (stat.isDirectory()) readOnly.push(path);
  }
  // Debian's /usr/bin entries may point into /etc/alternatives; the linker cache saves start-up time.
  for (const path of ["/etc/alternatives", "/etc/ld.so.cache"]) if (existsSync(path)) readOnly.push(path);
  return { readOnly, symlinks };
}

function defaultInterpreter(language: SandboxLanguage): string {
  switch (language) {
    case "python":
      return findOnPath(["python3"], ["/usr/bin", "/usr/local/bin"]) ?? "/usr/bin/python3";
    case "node":
      return process.execPath.startsWith("/usr/") ? process.execPath : "/usr/bin/node";
    case "bash":
      return "/bin/bash";
  }
}

/** Signal names by number, for exit codes 128 + n (the first name of a number: SIGABRT, not SIGIOT). */
const SIGNAL_NAMES = new Map<number, string>();
for (const [name, number] of Object.entries(constants.signals))
  if (!SIGNAL_NAMES.has(number as number)) SIGNAL_NAMES.set(number as number, name);

/**
 * How the program ended. The runtime (bubblewrap, Apptainer) outlives the program in its PID namespace
 * and exits with 128 + n when the program was ended by signal n; our own kill at the time limit ends
 * the runtime itself, which Node reports as a signal.
 */
function ending(code: number | null, signal: NodeJS.Signals | null): { exitCode: number | null; signal?: string } {
  if (signal) return { exitCode: null, signal };
  if (code !== null && code > 128 && SIGNAL_NAMES.has(code - 128))
    return { exitCode: null, signal: SIGNAL_NAMES.get(code - 128)! };
  return { exitCode: code };
}

const MEMORY_MESSAGES =
  /MemoryError|JavaScript heap out of memory|Reached heap limit|Cannot allocate memory|std::bad_alloc|xmalloc: cannot allocate/;

/** Collects a stream up to `cap` bytes and drops the rest, so a chatty program cannot fill memory. */
class CappedOutput {
  private readonly chunks: Buffer[] = [];
  private size = 0;
  truncated = false;
  constructor(private readonly cap: number) {}
  push(chunk: Buffer): void {
    if (this.size >= this.cap) {
      this.truncated = true;
      return;
    }
    const room = this.cap - this.size;
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk;
    if (kept.length < chunk.length) this.truncated = true;
    this.chunks.push(kept);
    this.size += kept.length;
  }
  text(): string {
    return Buffer.concat(this.chunks).toString("utf8");
  }
}

export class Sandbox implements SandboxRunner {
  readonly backend: SandboxBackend;
  readonly concurrency: number;
  private readonly limiter: ConcurrencyLimiter;
  private readonly options: SandboxOptions;
  private ready: Promise<{ file: string; layout?: HostLayout }> | undefined;

  constructor(options: SandboxOptions = {}) {
    this.options = options;
    this.backend = options.backend ?? "bwrap";
    if (this.backend !== "bwrap" && this.backend !== "apptainer")
      throw new SandboxUnavailableError(String(this.backend), "unknown backend; use 'bwrap' or 'apptainer'");
    this.concurrency = options.concurrency ?? availableParallelism();
    this.limiter = new ConcurrencyLimiter(this.concurrency);
  }

  /** Programs running now and waiting for a slot. */
  get load(): { running: number; waiting: number } {
    return { running: this.limiter.inFlight, waiting: this.limiter.queued };
  }

  /**
   * Runs a program. Resolves with its outputs whatever the program does (fails, loops, allocates
   * without end); rejects only for a bad request (SandboxRequestError) or a missing runtime
   * (SandboxUnavailableError, saying how to install it).
   */
  async run(request: SandboxRequest): Promise<SandboxResult> {
    const parsed = SandboxRequestSchema.safeParse(request);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      // A bad file name is a bad record key: name the key, and say what is wrong with it.
      if (issue.code === "invalid_key")
        throw new SandboxRequestError(filePath(String(issue.path.at(-1))), issue.issues[0]?.message ?? issue.message);
      throw new SandboxRequestError(formatIssuePath(issue.path), issue.message);
    }
    const runtime = await this.runtime();
    const release = await this.limiter.acquire();
    try {
      return await this.execute(parsed.data, runtime);
    } finally {
      release();
    }
  }

  /** Finds the runtime and proves it can build a sandbox here, once: a broken setup is one clear error, not a failed program. */
  private runtime(): Promise<{ file: string; layout?: HostLayout }> {
    this.ready ??= (async () => {
      if (this.backend === "apptainer") {
        const file = this.options.apptainerPath ?? findOnPath(["apptainer", "singularity"]);
        if (!file)
          throw new SandboxUnavailableError(
            "apptainer",
            "apptainer is not installed (see https://apptainer.org/docs/admin/main/installation.html; on SLURM clusters `module load apptainer`), or use the bubblewrap backend",
          );
        if (!this.options.image)
          throw new SandboxUnavailableError(
            "apptainer",
            "no image: pass { image } (or MATRIX_SANDBOX_IMAGE), e.g. a .sif with python3, node and prlimit",
          );
        return { file };
      }
      const file = this.options.bwrapPath ?? findOnPath(["bwrap"], ["/usr/bin", "/usr/local/bin", "/bin"]);
      if (!file || !existsSync(file))
        throw new SandboxUnavailableError(
          "bwrap",
          "bubblewrap (bwrap) is not installed: apt-get install bubblewrap (Debian/Ubuntu), dnf install bubblewrap (Fedora)",
        );
      const layout = hostLayout();
      const probe = spawnSync(
        file,
        bubblewrapArgs({ layout, workDir: tmpdir(), env: SANDBOX_ENV, command: ["/bin/true"] }),
        {
          env: { PATH: "/usr/bin:/bin" },
          encoding: "utf8",
          timeout: 20_000,
          ...this.identity(),
        },
      );
      if (probe.status !== 0)
        throw new SandboxUnavailableError(
          "bwrap",
          `bubblewrap cannot create a sandbox here (${(probe.stderr || probe.error?.message || `exit ${probe.status}`).trim()}); it needs unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1) or a privileged container`,
        );
      return { file, layout };
    })();
    this.ready.catch(() => (this.ready = undefined));
    return this.ready;
  }

  /** Root runs the program as nobody: the kernel never enforces the process limit for uid 0. */
  private identity(): { uid?: number; gid?: number } {
    return this.backend === "bwrap" && process.getuid?.() === 0 ? { uid: NOBODY, gid: NOBODY } : {};
  }

  private prepare(request: ReturnType<typeof SandboxRequestSchema.parse>): string {
    const dir = mkdtempSync(join(this.options.workRoot ?? tmpdir(), "matrix-sandbox-"));
    const owner = this.identity();
    const write = (relative: string, content: string) => {
      const path = join(dir, relative);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, content);
      if (owner.uid !== undefined) {
        for (let at = dirname(path); at.startsWith(dir) && at !== dir; at = dirname(at))
          chownSync(at, owner.uid, owner.gid!);
        chownSync(path, owner.uid, owner.gid!);
      }
    };
    let at = "code";
    try {
      for (const [relative, content] of Object.entries(request.files ?? {})) {
        at = filePath(relative);
        write(relative, content);
      }
      at = "code";
      write(PROGRAM_FILE[request.language], request.code);
      if (owner.uid !== undefined) chownSync(dir, owner.uid, owner.gid!);
    } catch (error) {
      // Files that cannot coexist (`a` and `a/b`), or one named like the program's directory.
      rmSync(dir, { recursive: true, force: true });
      throw new SandboxRequestError(at, `cannot be written to the work directory: ${(error as Error).message}`, {
        cause: error,
      });
    }
    return dir;
  }

  private command(
    request: ReturnType<typeof SandboxRequestSchema.parse>,
    runtime: { file: string; layout?: HostLayout },
    dir: string,
  ): string[] {
    const memoryMB = request.memoryMB ?? DEFAULTS.memoryMB;
    const timeoutMs = request.timeoutMs ?? DEFAULTS.timeoutMs;
    const limits: Limits = {
      // The wall-clock timer normally ends a run first; the CPU limit also stops a program that escaped it.
      cpuSeconds: request.cpuSeconds ?? Math.ceil(timeoutMs / 1000) + 1,
      addressSpaceBytes: addressSpaceBytes(request.language, memoryMB),
      processes: this.options.maxProcesses ?? 64,
      fileBytes: this.options.maxFileBytes ?? 16 * 1024 * 1024,
      openFiles: 256,
    };
    const interpreter = this.options.interpreters?.[request.language] ?? defaultInterpreter(request.language);
    const program = limitedCommand(
      "prlimit",
      limits,
      interpreterCommand(request.language, interpreter, memoryMB, request.args ?? []),
    );
    return this.backend === "apptainer"
      ? apptainerArgs({ image: this.options.image!, workDir: dir, env: SANDBOX_ENV, command: program })
      : bubblewrapArgs({ layout: runtime.layout!, workDir: dir, env: SANDBOX_ENV, command: program });
  }

  private execute(
    request: ReturnType<typeof SandboxRequestSchema.parse>,
    runtime: { file: string; layout?: HostLayout },
  ): Promise<SandboxResult> {
    const timeoutMs = request.timeoutMs ?? DEFAULTS.timeoutMs;
    const cap = this.options.maxOutputBytes ?? 1024 * 1024;
    const started = performance.now();
    const dir = this.prepare(request);
    const args = this.command(request, runtime, dir);
    return new Promise<SandboxResult>((resolve, reject) => {
      // The runtime itself gets no host environment either (/proc/1/environ in the sandbox is its).
      const child = spawn(runtime.file, args, {
        detached: true,
        stdio: ["pipe", "pipe", "pipe"],
        env: { PATH: "/usr/bin:/bin" },
        ...this.identity(),
      });
      const stdout = new CappedOutput(cap);
      const stderr = new CappedOutput(cap);
      let timedOut = false;
      const killAll = () => {
        try {
          // The whole process group; bwrap's --die-with-parent then takes the sandbox's PID namespace down.
          process.kill(-child.pid!, "SIGKILL");
        } catch {
          // Already gone.
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killAll();
      }, timeoutMs);
      child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
      child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
      // A program that exits without reading its input closes the pipe; that is not our failure.
      child.stdin.on("error", () => {});
      child.stdin.end(request.stdin ?? "");
      child.on("error", (error) => {
        clearTimeout(timer);
        rmSync(dir, { recursive: true, force: true });
        reject(
          new SandboxUnavailableError(this.backend, `could not start ${runtime.file}: ${error.message}`, {
            cause: error,
          }),
        );
      });
      child.on("close", (code, signal) => {
        clearTimeout(timer);
        killAll();
        rmSync(dir, { recursive: true, force: true });
        const err = stderr.text();
        const ended = ending(code, signal);
        const result: SandboxResult = {
          stdout: stdout.text(),
          stderr: err,
          exitCode: ended.exitCode,
          timedOut,
          durationMs: Math.round(performance.now() - started),
        };
        if (ended.signal) result.signal = ended.signal;
        if (timedOut) result.limit = "time";
        else if (ended.signal === "SIGXCPU") result.limit = "cpu";
        else if (ended.exitCode !== 0 && MEMORY_MESSAGES.test(err)) result.limit = "memory";
        else if (stdout.truncated || stderr.truncated) result.limit = "output";
        if (stdout.truncated || stderr.truncated)
          result.truncated = {
            ...(stdout.truncated ? { stdout: true } : {}),
            ...(stderr.truncated ? { stderr: true } : {}),
          };
        resolve(result);
      });
    });
  }
}

/** A sandbox from options, a sandbox as it is, or undefined (the agents then use `defaultSandbox()`). */
export function sandboxRunner(option: SandboxOptions | SandboxRunner | undefined): SandboxRunner | undefined {
  if (option === undefined) return undefined;
  return typeof (option as SandboxRunner).run === "function"
    ? (option as SandboxRunner)
    : new Sandbox(option as SandboxOptions);
}

/** A sandbox. */
export function createSandbox(options: SandboxOptions = {}): Sandbox {
  return new Sandbox(options);
}

/** Sandbox options from MATRIX_SANDBOX, MATRIX_SANDBOX_IMAGE and MATRIX_SANDBOX_CONCURRENCY. */
export function sandboxOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SandboxOptions {
  const concurrency = Number(env.MATRIX_SANDBOX_CONCURRENCY);
  return {
    ...(env.MATRIX_SANDBOX ? { backend: env.MATRIX_SANDBOX as SandboxBackend } : {}),
    ...(env.MATRIX_SANDBOX_IMAGE ? { image: env.MATRIX_SANDBOX_IMAGE } : {}),
    ...(Number.isInteger(concurrency) && concurrency > 0 ? { concurrency } : {}),
  };
}

let shared: Sandbox | undefined;

/** This process's sandbox, made on first use from the environment: one limit on concurrent programs per worker. */
export function defaultSandbox(): Sandbox {
  shared ??= new Sandbox(sandboxOptionsFromEnv());
  return shared;
}
