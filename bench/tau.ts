/**
 * What the tau recipe's environment costs: the size of a task message (the environment travels as its
 * list of database-changing calls) against carrying the retail database itself, and the CPU of
 * rebuilding an environment for a tool hop. Then one offline run of 50 retail tasks.
 *
 * Run: `npx tsx bench/tau.ts` (figures vary on a shared machine; the ratios are the point).
 */
import { statSync } from "node:fs";
import { loadTauDomain } from "../sdk/recipes/tau/domain.js";
import { environmentFor, type RecordedCall } from "../sdk/recipes/tau/tau-module.js";
import { tau } from "../sdk/recipes/tau/tau.js";

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) * p)]!;

async function main(): Promise<void> {
  const dbBytes = statSync("datasets/tau2/retail/db.json").size;
  const retail = loadTauDomain("datasets/tau2/retail");

  // Rebuilding the environment a tool hop acts on: seed + initial state + the recorded calls.
  const task = retail.tasks[0]!;
  const calls: RecordedCall[] = (task.evaluation_criteria?.actions ?? []).map((action) => ({
    name: action.name,
    arguments: action.arguments,
    requestor: action.requestor,
  }));
  for (let i = 0; i < 200; i++) environmentFor(retail, task, calls); // warm up
  const rounds = 2000;
  let start = performance.now();
  for (let i = 0; i < rounds; i++) environmentFor(retail, task, calls);
  const rebuildMs = (performance.now() - start) / rounds;
  start = performance.now();
  for (let i = 0; i < 20; i++) structuredClone(retail.environment().db());
  const copyMs = (performance.now() - start) / 20;

  start = performance.now();
  const handle = tau({ domain: "retail" }).run({ rows: 50, simulator: { speed: 100 } });
  const summary = await handle.done();
  const wallS = (performance.now() - start) / 1000;
  const results = handle.results();
  const sizes = results.map((result) => Buffer.byteLength(JSON.stringify(result)));
  const envSizes = results.map((result) => Buffer.byteLength(JSON.stringify(result.state._env ?? {})));
  const toolResults = results.reduce((n, result) => n + result.history.filter((turn) => turn.toolCallId).length, 0);

  const lines = [
    `tau bench (${new Date().toISOString()}, node ${process.version})`,
    `retail db.json: ${kib(dbBytes)}`,
    `task message at the end of a conversation: median ${kib(percentile(sizes, 0.5))}, p95 ${kib(percentile(sizes, 0.95))}, max ${kib(Math.max(...sizes))}`,
    `  of which the environment state (_env): median ${percentile(envSizes, 0.5)} B, max ${Math.max(...envSizes)} B`,
    `  carrying the database instead would add ${kib(dbBytes)} per message: ${(dbBytes / percentile(sizes, 0.5)).toFixed(0)}x the median message`,
    `environment rebuild for a tool hop (task 0, ${calls.length} calls replayed): ${(rebuildMs * 1000).toFixed(0)} µs; a deep copy of the database: ${copyMs.toFixed(1)} ms (${(copyMs / rebuildMs).toFixed(0)}x)`,
    `50 retail tasks offline (simulator speed 100, in-process): ${wallS.toFixed(1)} s wall, ${summary.hops} hops, ${toolResults} tool calls, ${(50 / wallS).toFixed(1)} tasks/s`,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

void main();
