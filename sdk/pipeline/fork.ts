/**
 * Replay and fork one finished task: run it again from turn k as a new task linked to its original
 * (`forkOf`, `fromTurn`), optionally with changed roles (prompt, system prompt, model, temperature,
 * ...). Turns 1..k are the original's, replayed without calling the model (agent/replay.ts), so the
 * state the flow and the code roles build is rebuilt exactly; from turn k+1 on the fork is live. With
 * no changes and the original's seed it is a replay: a deterministic server reproduces the original.
 *
 * Where you are: `pipeline/`. The original comes from a run handle (its results) or an output
 * directory (output, filtered or dead letters, with the pipeline stored there); `matrix fork` calls
 * this. Forks go to `<out>/forks/` (resumed, so forks accumulate) and their ids are derived from what
 * was changed, so running the same fork twice writes it once.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Run } from "../driver/run.js";
import { ConfigError } from "../errors.js";
import type { PipelineDefinition, RoleDefinition } from "../schema/pipeline-definition.js";
import { TaskSchema, type Task } from "../schema/task.js";
import { mergePatch } from "../sink/dead-letters.js";
import { readJsonlRecords, sinkFiles } from "../sink/jsonl-sink.js";
import { parseDefinition } from "./definition.js";
import { pipelineShape, storedPipeline } from "./retry.js";
import { runContext, runPipeline, type RunOptions } from "./run-pipeline.js";

export interface ForkOptions extends Omit<RunOptions, "tasks" | "source" | "rows" | "resume"> {
  /** How many of the original's turns the fork reuses (0 = from the start). */
  fromTurn: number;
  /** Changes merged into role definitions, e.g. `{ student: { temperature: 1.2, model: "big" } }`. */
  roles?: Record<string, Partial<RoleDefinition>>;
  /** The fork's seed (chat calls use it). @default the original's, which makes an unchanged fork a replay */
  taskSeed?: number;
  /** The pipeline the original ran with. @default the run's, or `<dir>/pipeline.json` */
  pipeline?: PipelineDefinition | { definition: Readonly<PipelineDefinition> };
}

/** The original task and the pipeline that made it, from a run handle or an output directory. */
function original(source: Run | string, id: string): { task: Task; definition?: PipelineDefinition; out?: string } {
  if (typeof source === "string") {
    const files = sinkFiles(source);
    if (!existsSync(files.output)) throw new ConfigError("out", `${source} is not a run's output directory`);
    for (const file of [files.output, files.filtered, files.deadLetters]) {
      const found = readJsonlRecords(file).filter((record) => record.id === id);
      if (found.length > 0) return { task: TaskSchema.parse(found[found.length - 1]), out: source };
    }
    throw new ConfigError("id", `no finished task '${id}' in ${source}`);
  }
  const task =
    source.results().find((candidate) => candidate.id === id) ?? source.deadLetters().find((t) => t.id === id);
  if (!task)
    throw new ConfigError(
      "id",
      `run ${source.runId} has no finished task '${id}' (keepResults must be on to fork from a handle)`,
    );
  const context = runContext(source);
  return { task, definition: context?.definition, out: context?.options.out };
}

/** A stable short name for what the fork changes. */
function forkName(fromTurn: number, roles: unknown, seed: number): string {
  const digest = createHash("sha256").update(JSON.stringify({ roles, seed })).digest("hex").slice(0, 6);
  return `fork${fromTurn}-${digest}`;
}

/** The task a fork starts as: the original's row and seed, no history, its first k turns to replay. */
export function forkOf(
  task: Task,
  entry: string,
  options: { fromTurn: number; roles?: unknown; taskSeed?: number },
): Task {
  const { fromTurn } = options;
  if (!Number.isInteger(fromTurn) || fromTurn < 0 || fromTurn > task.history.length)
    throw new ConfigError(
      "fromTurn",
      `task ${task.id} has ${task.history.length} turns; fromTurn must be 0..${task.history.length}`,
    );
  const seed = options.taskSeed ?? task.seed;
  const replay = structuredClone(task.history.slice(0, fromTurn));
  return TaskSchema.parse({
    id: `${task.id}~${forkName(fromTurn, options.roles ?? {}, seed)}`,
    runId: task.runId,
    rowId: task.rowId,
    trial: task.trial,
    seed,
    row: task.row,
    ...(task.rowRef ? { rowRef: task.rowRef } : {}),
    history: [],
    state: {},
    cursor: entry,
    status: "running",
    attempt: 0,
    hops: 0,
    usage: {},
    timestamps: { created: Date.now() },
    forkOf: task.id,
    fromTurn,
    ...(replay.length > 0 ? { replay } : {}),
  });
}

/** The definition with `roles` merged into its role definitions (checked). */
export function withRoleChanges(
  definition: PipelineDefinition,
  roles: Record<string, Partial<RoleDefinition>> = {},
): PipelineDefinition {
  for (const name of Object.keys(roles))
    if (!(name in definition.roles))
      throw new ConfigError(
        "roles",
        `pipeline '${definition.name}' has no role '${name}' (it has ${Object.keys(definition.roles).join(", ")})`,
      );
  return parseDefinition({ ...definition, roles: mergePatch(definition.roles, roles) });
}

/**
 * Forks task `id` of `source` (a run handle or an output directory) from turn `fromTurn`.
 * @example
 * const fork = forkTask(run, "q7", { fromTurn: 2, roles: { student: { temperature: 1.2 } } });
 * const [task] = (await fork.done(), fork.results());
 */
export function forkTask(source: Run | string, id: string, options: ForkOptions): Run {
  const { fromTurn, roles, taskSeed, pipeline, ...runOptions } = options;
  const found = original(source, id);
  const given =
    pipeline !== undefined
      ? parseDefinition("definition" in pipeline ? pipeline.definition : pipeline)
      : (found.definition ?? (found.out !== undefined ? storedPipeline(found.out) : undefined));
  if (given === undefined) throw new ConfigError("pipeline", "pass the pipeline the original task ran with");
  const definition = withRoleChanges(given, roles);
  const task = forkOf(found.task, pipelineShape(definition).entry, { fromTurn, roles, taskSeed });
  const out = runOptions.out ?? (found.out !== undefined ? join(found.out, "forks") : undefined);
  return runPipeline(definition, { ...runOptions, out, resume: out !== undefined, tasks: [task] });
}
