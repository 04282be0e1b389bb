/**
 * `matrix attach RUN_ID --out DIR`: collects a detached run (`matrix run --detach`): what already
 * reached its sink and what reaches it from now on is written to DIR exactly once; when the run's
 * queues are empty the run is removed from NATS. Ctrl-C leaves the run there for the next attach.
 *
 * Where you are: `cli/`, loaded only when `matrix attach` runs (flags in program.ts). The SDK side is
 * `attachRun` (sdk/pipeline/attach-run.ts).
 */
import type { CliIo } from "./cli-io.js";
import { followRun } from "./follow-run.js";
import { natsFlags } from "./nats-flags.js";
import type { AttachFlags } from "./program.js";
import { resumeHint } from "./resume-hint.js";

export async function command(runId: string, flags: AttachFlags, io: CliIo, argv: readonly string[]): Promise<number> {
  const { createNatsBus, natsConnectionOptions } = await import("../bus/nats/index.js");
  const { attachRun } = await import("../pipeline/attach-run.js");
  const bus = await createNatsBus(natsConnectionOptions(natsFlags(flags, "matrix-attach"), io.env));
  try {
    const run = await attachRun({ runId, out: flags.out, bus, parquet: flags.parquet });
    return await followRun(run, {
      io,
      name: "matrix attach",
      quiet: flags.quiet,
      out: flags.out,
      // The run stays on NATS: attaching again goes on where this one stopped.
      resumeLine: `the run stays on NATS; go on with: ${resumeHint(argv).replace(/ --resume$/, "")}`,
    });
  } finally {
    await bus.close();
  }
}
