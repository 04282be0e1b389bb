/**
 * The project kernel ends with the Jupyter process that started it (kernels/matrix-ts/
 * parent-watch.cjs): a real kernel (the project's tslab) is started the way jupyter_client starts
 * one (its own session, JPY_PARENT_PID), by a parent process that is then killed with SIGKILL, as a
 * timed-out `nbconvert --execute` is. Without the watch the kernel would run on, orphaned.
 */
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createServer, connect } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/temp-dir.js";

const root = process.cwd();

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Alive and not a zombie (a dead orphan may wait to be reaped). */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

async function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
  });
}

const until = async (condition: () => boolean | Promise<boolean>) => {
  // Waits for the state change; the test's timeout ends a wait that never completes.
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 100));
};

// The parent: starts the kernel in its own session with JPY_PARENT_PID, as jupyter_client does,
// prints the kernel's pid, and lives until killed.
const PARENT = `
const { spawn } = require("node:child_process");
const kernel = spawn(process.execPath, ["kernels/matrix-ts/start-tslab.cjs", "kernel", "--config-path", process.argv[1]], {
  cwd: process.cwd(), detached: true, stdio: "ignore", env: { ...process.env, JPY_PARENT_PID: String(process.pid) },
});
process.stdout.write(kernel.pid + "\\n");
setInterval(() => {}, 60000);
`;

describe("the project kernel", () => {
  let kernelPid: number | undefined;
  afterEach(() => {
    if (kernelPid && alive(kernelPid)) process.kill(kernelPid, "SIGKILL");
  });

  it("exits when the Jupyter process that started it is killed", async () => {
    const dir = tempDir();
    const ports = {
      shell: await freePort(),
      iopub: await freePort(),
      stdin: await freePort(),
      control: await freePort(),
      hb: await freePort(),
    };
    const connection = join(dir, "kernel.json");
    writeFileSync(
      connection,
      JSON.stringify({
        shell_port: ports.shell,
        iopub_port: ports.iopub,
        stdin_port: ports.stdin,
        control_port: ports.control,
        hb_port: ports.hb,
        ip: "127.0.0.1",
        key: "0123456789abcdef",
        transport: "tcp",
        signature_scheme: "hmac-sha256",
        kernel_name: "matrix-ts",
      }),
    );
    const parent = spawn(process.execPath, ["-e", PARENT, connection], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const parentExit = new Promise((resolve) => parent.once("exit", resolve));
    kernelPid = Number(
      await new Promise<string>((resolve) => parent.stdout!.once("data", (chunk) => resolve(String(chunk)))),
    );
    expect(kernelPid).toBeGreaterThan(0);
    // Up: its heartbeat socket accepts connections.
    await until(() => accepts(ports.hb));
    expect(alive(kernelPid)).toBe(true);
    parent.kill("SIGKILL");
    await parentExit;
    await until(() => !alive(kernelPid!));
  }, 120_000);
});
