import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  addressSpaceBytes,
  apptainerArgs,
  bubblewrapArgs,
  interpreterCommand,
  limitedCommand,
  SANDBOX_ENV,
} from "../../sdk/sandbox/sandbox-command.js";
import { Sandbox, sandboxOptionsFromEnv } from "../../sdk/sandbox/sandbox.js";
import { SandboxUnavailableError } from "../../sdk/errors.js";

const limits = { cpuSeconds: 11, addressSpaceBytes: 536870912, processes: 64, fileBytes: 16777216, openFiles: 256 };
const program = limitedCommand("prlimit", limits, interpreterCommand("python", "/usr/bin/python3", 512, ["x"]));

describe("sandbox command lines", () => {
  it("wraps the interpreter in prlimit's limits", () => {
    expect(program).toEqual([
      "prlimit",
      "--cpu=11:12",
      "--as=536870912",
      "--nproc=64",
      "--fsize=16777216",
      "--nofile=256",
      "--core=0",
      "--",
      "/usr/bin/python3",
      "-E",
      "-s",
      "-B",
      "/work/main.py",
      "x",
    ]);
    expect(interpreterCommand("node", "/usr/bin/node", 256, [])).toEqual([
      "/usr/bin/node",
      "--max-old-space-size=256",
      "/work/main.js",
    ]);
    // Node's runtime reserves address space before the heap: the limit allows for it.
    expect(addressSpaceBytes("node", 256)).toBe((256 + 1024) * 1024 * 1024);
    expect(addressSpaceBytes("bash", 256)).toBe(256 * 1024 * 1024);
  });

  it("bwrap: read-only system, /work writable, every namespace unshared, a clean environment, root read-only", () => {
    const args = bubblewrapArgs({
      layout: { readOnly: ["/usr", "/etc/alternatives"], symlinks: [["usr/bin", "/bin"]] },
      workDir: "/tmp/matrix-sandbox-1",
      env: SANDBOX_ENV,
      command: program,
    });
    const pairs = (flag: string) => args.flatMap((arg, i) => (arg === flag ? [args[i + 1]] : []));
    expect(pairs("--ro-bind")).toEqual(["/usr", "/etc/alternatives"]);
    expect(args.join(" ")).toContain("--symlink usr/bin /bin");
    expect(args.join(" ")).toContain("--bind /tmp/matrix-sandbox-1 /work --chdir /work");
    for (const flag of ["--unshare-all", "--die-with-parent", "--new-session", "--clearenv"])
      expect(args).toContain(flag);
    expect(args).not.toContain("--share-net");
    expect(pairs("--setenv")).toEqual(Object.keys(SANDBOX_ENV));
    const separator = args.indexOf("--");
    expect(args.slice(separator - 2, separator)).toEqual(["--remount-ro", "/"]);
    expect(args.slice(separator + 1)).toEqual(program);
  });

  it("apptainer: contained, clean environment, no network, the work dir bound, the image's interpreters", () => {
    const args = apptainerArgs({
      image: "/images/sandbox.sif",
      workDir: "/scratch/matrix-sandbox-1",
      env: { HOME: "/work" },
      command: program,
    });
    expect(args.slice(0, args.indexOf("/images/sandbox.sif"))).toEqual([
      "exec",
      "--containall",
      "--cleanenv",
      "--no-home",
      "--net",
      "--network",
      "none",
      "--bind",
      "/scratch/matrix-sandbox-1:/work",
      "--pwd",
      "/work",
      "--env",
      "HOME=/work",
    ]);
    expect(args.slice(args.indexOf("/images/sandbox.sif") + 1)).toEqual(program);
  });

  it("options come from MATRIX_SANDBOX* variables; apptainer without an image or binary is a named error", async () => {
    expect(
      sandboxOptionsFromEnv({
        MATRIX_SANDBOX: "apptainer",
        MATRIX_SANDBOX_IMAGE: "x.sif",
        MATRIX_SANDBOX_CONCURRENCY: "3",
      }),
    ).toEqual({ backend: "apptainer", image: "x.sif", concurrency: 3 });
    expect(sandboxOptionsFromEnv({ MATRIX_SANDBOX_CONCURRENCY: "zero" })).toEqual({});
    const noImage = new Sandbox({ backend: "apptainer", apptainerPath: "/bin/true" });
    await expect(noImage.run({ language: "bash", code: "true" })).rejects.toThrow(/no image/);
    const noBinary = new Sandbox({ backend: "apptainer", apptainerPath: undefined, image: "x.sif" });
    if (!process.env.PATH?.split(":").some((dir) => existsSync(`${dir}/apptainer`)))
      await expect(noBinary.run({ language: "bash", code: "true" })).rejects.toThrow(SandboxUnavailableError);
    expect(() => new Sandbox({ backend: "docker" as never })).toThrow(SandboxUnavailableError);
  });
});
