/**
 * `matrix fork <id> --out DIR --from-turn K [--set role.field=value ...]`: re-runs one finished task
 * from turn k as a new task linked to it (`forkOf`, `fromTurn`), its first k turns replayed as they
 * were, the rest live with the changed roles; writes it to DIR/forks and prints it.
 *
 * Where you are: `cli/`, loaded only when `matrix fork` runs; its flags are declared in program.ts.
 * The work is `forkTask` (pipeline/fork.ts).
 */
import { ConfigError } from "../errors.js";
import type { RoleDefinition } from "../schema/pipeline-definition.js";
import type { CliIo } from "./cli-io.js";
import { loadPipeline } from "./load-pipeline.js";
import { ROLE_SET_ENTRY, type ForkFlags } from "./program.js";

/** `student.temperature=1.2` → `{ student: { temperature: 1.2 } }` (values are JSON when they parse). */
export function roleChanges(sets: readonly string[] = []): Record<string, Partial<RoleDefinition>> {
  const roles: Record<string, Record<string, unknown>> = {};
  for (const set of sets) {
    const match = ROLE_SET_ENTRY.exec(set);
    if (!match)
      throw new ConfigError("--set", `expected role.field=value (e.g. student.temperature=1.2), got '${set}'`);
    const [, role, field, text] = match as unknown as [string, string, string, string];
    let value: unknown = text;
    try {
      value = JSON.parse(text);
    } catch {
      // A plain string (a prompt, a model name).
    }
    (roles[role] ??= {})[field] = value;
  }
  return roles as Record<string, Partial<RoleDefinition>>;
}

export async function command(id: string, flags: ForkFlags, io: CliIo): Promise<number> {
  const { forkTask } = await import("../pipeline/fork.js");
  const pipeline = flags.pipeline ? await loadPipeline(flags.pipeline, { home: io.env.MATRIX_HOME }) : undefined;
  const run = forkTask(flags.out, id, {
    fromTurn: flags.fromTurn ?? 0,
    roles: roleChanges(flags.set),
    ...(flags.seed !== undefined ? { taskSeed: flags.seed } : {}),
    ...(pipeline ? { pipeline } : {}),
    ...(flags.forkOut ? { out: flags.forkOut } : {}),
    llm: flags.llm,
    model: flags.model,
  });
  const summary = await run.done();
  const [task] = run.results();
  if (summary.skipped > 0 && !task) {
    io.stderr(`matrix fork: this fork of ${id} was made before; it is in ${summary.outDir ?? "the forks directory"}\n`);
    return 0;
  }
  io.stdout(`${JSON.stringify(task, null, 2)}\n`);
  io.stderr(
    `matrix fork: ${task?.id} (${task?.status}) from turn ${flags.fromTurn ?? 0} of ${id}: ${task?.history.length} turns; written to ${summary.outDir}\n`,
  );
  return task?.status === "done" ? 0 : 1;
}
