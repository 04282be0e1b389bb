/**
 * Retrying the dead letters of a finished run from its output directory: read them, patch them, and
 * run them again with their ids into the same directory (resume), so a task fixed and finished lands
 * once in output.jsonl and drops out of the dead-letter listing.
 *
 * Where you are: `pipeline/`. A live run retries through its handle instead (`run.retry`, which puts
 * the tasks into the running run); `matrix dlq retry --out DIR` calls this. The pipeline is the one
 * stored in the directory (`pipeline.json`) unless another is given (a fixed prompt, say).
 */
import { existsSync, readFileSync } from "node:fs";
import type { Run } from "../driver/run.js";
import { ConfigError } from "../errors.js";
import { compileFlow } from "../flow/compile-flow.js";
import type { PipelineDefinition } from "../schema/pipeline-definition.js";
import type { Task } from "../schema/task.js";
import { findDeadLetter, prepareRetry, readDeadLetters, type RetryOptions } from "../sink/dead-letters.js";
import { effectiveFlow, parseDefinition } from "./definition.js";
import { pipelineFile, runPipeline, type RunOptions } from "./run-pipeline.js";

export interface RetryDeadLettersOptions
  extends Omit<RunOptions, "tasks" | "out" | "resume" | "source" | "rows">, RetryOptions {
  /** The output directory of the run whose dead letters to retry. */
  out: string;
  /** Which dead letters (task ids). @default every unresolved one */
  ids?: readonly string[];
  /** The pipeline to run them with. @default the one stored in `<out>/pipeline.json` */
  pipeline?: PipelineDefinition | { definition: Readonly<PipelineDefinition> };
}

/** The definition that wrote `out` (`pipeline.json`), or a ConfigError saying how to pass one. */
export function storedPipeline(out: string): PipelineDefinition {
  const file = pipelineFile(out);
  if (!existsSync(file))
    throw new ConfigError("pipeline", `${out} has no pipeline.json (written by runs since v0.1); pass the pipeline`);
  return parseDefinition(JSON.parse(readFileSync(file, "utf8")));
}

/** Where a task of `definition` starts and which roles it has (what `prepareRetry` needs). */
export function pipelineShape(definition: PipelineDefinition): { entry: string; roles: ReadonlySet<string> } {
  const roles = Object.keys(definition.roles);
  return { entry: compileFlow(effectiveFlow(definition), roles).entry, roles: new Set(roles) };
}

export function retryDeadLetters(options: RetryDeadLettersOptions): Run {
  const { out, ids, patch, from, pipeline, ...runOptions } = options;
  const definition =
    pipeline === undefined
      ? storedPipeline(out)
      : parseDefinition("definition" in pipeline ? pipeline.definition : pipeline);
  const letters = readDeadLetters(out);
  const chosen =
    ids === undefined
      ? letters.filter((letter) => letter.kind === "task")
      : ids.map((id) => findDeadLetter(letters, id));
  const tasks: Task[] = chosen.map((letter) => {
    if (!letter.task)
      throw new ConfigError(
        "ids",
        `${letter.id} is a source row that could not be read, not a task: fix the row in the source file and run again with resume`,
      );
    return prepareRetry(letter.task, pipelineShape(definition), { patch, from });
  });
  return runPipeline(definition, { ...runOptions, out, resume: true, tasks });
}
