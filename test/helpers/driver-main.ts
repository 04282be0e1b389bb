/**
 * A driver in its own process, for tests that kill it (`kill -9`) or let it detach: runs one of
 * test/helpers/lease-pipelines.ts over NATS with the options given as JSON in argv[2], and prints one
 * line per event the test waits for: `start <runId>`, `task <id>`, `summary <json>`.
 *
 * Where you are: test helpers (started by driver-process.ts with `node --import tsx`).
 */
import { pipelines, rows } from "./lease-pipelines.js";
import type { RunOptions } from "../../sdk/pipeline/run-pipeline.js";

const {
  pipeline,
  rows: count,
  nats,
  ...options
} = JSON.parse(process.argv[2]!) as {
  pipeline: keyof typeof pipelines;
  rows: number;
  nats: string;
} & RunOptions;
const run = pipelines[pipeline].run({ ...options, source: rows(count), bus: "nats", nats: { servers: nats } });
run.subscribe((event) => {
  if (event.type === "run-start") process.stdout.write(`start ${event.runId}\n`);
  if (event.type === "task-end") process.stdout.write(`task ${event.task.id}\n`);
});
const summary = await run.done();
process.stdout.write(`summary ${JSON.stringify(summary)}\n`);
