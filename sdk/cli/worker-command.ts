/**
 * `matrix worker --nats URL [--roles a,b] [--concurrency N] [--llm URL] [--model M]`: a generic worker
 * serving the roles of every active run on NATS until SIGTERM (which drains: stop pulling, finish the
 * hops in hand, exit 0).
 *
 * Where you are: `cli/`, loaded only when `matrix worker` runs; its flags are declared in program.ts.
 * The worker itself lives in sdk/worker/worker.ts; this file wires signals and prints one "ready" line
 * (launchers and tests wait for it).
 */
import type { CliIo } from "./cli-io.js";
import { natsFlags } from "./nats-flags.js";
import { packageVersion } from "./package-version.js";
import type { WorkerFlags } from "./program.js";
import { sandboxFlags } from "./sandbox-flags.js";

export async function command(flags: WorkerFlags, io: CliIo): Promise<number> {
  const { createNatsBus, natsConnectionOptions } = await import("../bus/nats/index.js");
  const { startWorker } = await import("../worker/worker.js");
  const bus = await createNatsBus({
    ...natsConnectionOptions(natsFlags(flags, `matrix-worker ${flags.id ?? process.pid}`), io.env),
    ...(flags.offloadThreshold !== undefined ? { offloadThreshold: flags.offloadThreshold } : {}),
  });
  const worker = await startWorker({
    bus,
    roles: flags.roles
      ?.split(",")
      .map((role) => role.trim())
      .filter(Boolean),
    concurrency: flags.concurrency,
    llm: flags.llm,
    model: flags.model,
    sandbox: sandboxFlags(flags),
    // Empty (unset) means none: the worker warns that it runs any run's code.
    trustedKeys: flags.trustedKeys ?? "",
    id: flags.id,
    version: packageVersion(io.env.MATRIX_HOME),
    metricsPort: flags.metricsPort,
    metricsHost: flags.metricsHost,
  });
  const drain = () => void worker.drain();
  process.once("SIGTERM", drain);
  process.once("SIGINT", drain);
  if (worker.metricsUrl) io.stderr(`matrix worker ${worker.id} metrics at ${worker.metricsUrl}\n`);
  io.stderr(`matrix worker ${worker.id} ready (pid ${process.pid})\n`);
  await worker.done;
  io.stderr(`matrix worker ${worker.id} drained\n`);
  return 0;
}
