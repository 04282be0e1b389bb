/**
 * `attachRun`: collects a run that was started with `detach` (or whose driver died after feeding
 * every row): writes what reached its sink, and what reaches it from now on, to `out` exactly once,
 * and removes the run from NATS when its queues are empty.
 *
 * Where you are: `pipeline/`. It reads the run's record (name, definition, id settings) from NATS and
 * goes through `runPipeline` with no source and no agents, so summary, files and events are those of
 * any run. Interrupted (`cancel()`), it leaves the run on NATS for the next attach.
 */
import type { Logger } from "pino";
import {
  createNatsBus,
  natsConnectionOptions,
  type NatsBus,
  type NatsBusOptions,
  type NatsFlags,
} from "../bus/nats/index.js";
import { getRun } from "../bus/nats/run-registry.js";
import type { Run } from "../driver/run.js";
import { ConfigError } from "../errors.js";
import { parseDefinition } from "./definition.js";
import { runPipeline } from "./run-pipeline.js";

export interface AttachOptions {
  runId: string;
  /** Output directory (the same as the detached driver's, or a new one). */
  out: string;
  /** A NATS bus you created (kept open), or connection settings (connected and closed here). */
  bus?: NatsBus;
  nats?: NatsFlags;
  natsBus?: NatsBusOptions;
  /** Also write `output.parquet` at the end. */
  parquet?: boolean;
  keepResults?: boolean;
  signal?: AbortSignal;
  logger?: Logger;
  /** @default 15000 */
  leaseMs?: number;
}

export async function attachRun(options: AttachOptions): Promise<Run> {
  const bus =
    options.bus ?? (await createNatsBus({ ...natsConnectionOptions(options.nats ?? {}), ...options.natsBus }));
  const owned = options.bus === undefined;
  try {
    const record = await getRun(await bus.runs(), options.runId);
    if (!record)
      throw new ConfigError(
        "runId",
        `no run ${options.runId} on NATS (finished, removed as abandoned, or never started)`,
      );
    const definition = parseDefinition(record.definition);
    const run = runPipeline(
      definition,
      {
        source: [],
        out: options.out,
        bus,
        localAgents: false,
        runId: record.runId,
        trials: record.settings?.trials,
        seed: record.settings?.seed,
        parquet: options.parquet,
        keepResults: options.keepResults,
        signal: options.signal,
        logger: options.logger,
        leaseMs: options.leaseMs,
      },
      { attach: true },
    );
    if (owned)
      void run
        .done()
        .catch(() => {})
        .finally(() => bus.close());
    return run;
  } catch (error) {
    if (owned) await bus.close();
    throw error;
  }
}
