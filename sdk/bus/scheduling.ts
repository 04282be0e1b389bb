/**
 * Scheduling modes of one runtime: `row` (the default, peer to peer: a task moves on the moment its hop
 * ends), `batch` (Ray Data-style batches with a barrier per role) and `central` (one controller drives
 * every task under a global limit). The two comparison modes are bus decorators, so every mode runs the
 * same agents, handlers, driver and sink: what differs is only when tasks move (bench/scheduling.ts).
 *
 * Where you are: `bus/`. Add a mode here and in `SCHEDULING_MODES` (schema/scheduling-mode.ts); `run({ scheduling })` and
 * `matrix run --scheduling` take it from there.
 */
import { BatchSchedulingBus } from "./batch-scheduling-bus.js";
import type { Bus } from "./bus.js";
import { CentralSchedulingBus } from "./central-scheduling-bus.js";
import type { SchedulingMode } from "../schema/scheduling-mode.js";

export { SCHEDULING_MODES, type SchedulingMode } from "../schema/scheduling-mode.js";

export interface SchedulingOptions {
  mode: SchedulingMode;
  /** `batch`: rows per batch. @default 64 */
  batchSize?: number;
  /** `batch`: a partial batch goes after this long without a new arrival, ms. @default 20 */
  lingerMs?: number;
  /** `central`: tasks the controller drives at once (the run's tasks in flight). */
  concurrency: number;
}

/** `bus` scheduled as `options.mode` says (`row` returns it unchanged). */
export function scheduledBus(bus: Bus, options: SchedulingOptions): Bus {
  switch (options.mode) {
    case "row":
      return bus;
    case "batch":
      return new BatchSchedulingBus(bus, { batchSize: options.batchSize ?? 64, lingerMs: options.lingerMs });
    case "central":
      return new CentralSchedulingBus(bus, { concurrency: options.concurrency });
  }
}
