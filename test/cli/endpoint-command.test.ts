/**
 * `matrix endpoint register --keep` as a real process against a real nats-server: the endpoint is
 * listed while the process runs, and withdrawn when it is stopped (SIGTERM, as `matrix cluster down`
 * stops the one `cluster up` starts for its simulator), so a run started afterwards, or the next
 * `cluster up` on the same JetStream store, does not find a server that is gone.
 */
import { spawn } from "node:child_process";
import { afterAll, beforeAll, expect, it, onTestFinished } from "vitest";
import { connectNats, listEndpoints } from "../../sdk/bus/nats/index.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";

describeWithNats("matrix endpoint register --keep", () => {
  let server: NatsServerHandle;
  let connection: Awaited<ReturnType<typeof connectNats>>;

  beforeAll(async () => {
    server = await startNatsServer();
    connection = await connectNats({ servers: [server.url] });
  });

  afterAll(async () => {
    await connection?.close();
    await server?.dispose();
  });

  it("lists the endpoint while it runs and withdraws it when stopped", async () => {
    const url = "http://127.0.0.1:9/v1";
    const child = spawn(
      process.execPath,
      ["bin/matrix.js", "endpoint", "register", "--nats", server.url, "--url", url, "--kind", "simulator", "--keep"],
      { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, MATRIX_LOG_LEVEL: "error" } },
    );
    onTestFinished(() => void (child.exitCode === null && child.kill("SIGKILL")));
    let stderr = "";
    const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
    await new Promise<void>((resolve, reject) => {
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes(`registered ${url}`)) resolve();
      });
      void exited.then(() => reject(new Error(`endpoint register exited early:\n${stderr}`)));
    });
    expect(await listEndpoints(connection)).toEqual([
      expect.objectContaining({ url, kind: "simulator", time: expect.any(Number) }),
    ]);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stderr).toContain(`unregistered ${url}`);
    expect(await listEndpoints(connection)).toEqual([]);
  }, 120_000);
});
