/**
 * Parsing and checking a pipeline definition: the zod shape, then what zod cannot see (flow roles
 * exist, functions parse and capture nothing).
 *
 * Where you are: `pipeline/`. Every way into a runnable pipeline (the builder, `fromJSON`, a file
 * given to the CLI, a definition read from NATS by a worker) goes through `parseDefinition`.
 */
import type { z } from "zod";
import { PipelineDefinitionError } from "../errors.js";
import { templateProblems } from "../agent/template.js";
import { END } from "../flow/flow.js";
import { freeVariables } from "../flow/function-source.js";
import { parseFieldPath } from "../quality/text-field.js";
import {
  PipelineDefinitionSchema,
  type FlowDefinition,
  type PipelineDefinition,
} from "../schema/pipeline-definition.js";
import { formatIssuePath } from "../schema/issue-path.js";
import { SINK } from "../schema/task.js";

function zodFailure(error: z.ZodError): PipelineDefinitionError {
  const [issue, ...others] = error.issues;
  // Name every problem (up to five): fixing one at a time through a notebook is slow.
  const more = others
    .slice(0, 4)
    .map((other) => `; ${formatIssuePath(other.path) || "<root>"}: ${other.message}`)
    .join("");
  const rest = others.length > 4 ? `; and ${others.length - 4} more` : "";
  return new PipelineDefinitionError(formatIssuePath(issue!.path), `${issue!.message}${more}${rest}`);
}

/** Roles the flow routes through (in order of first mention). */
export function flowRoles(flow: FlowDefinition): string[] {
  switch (flow.kind) {
    case "sequence":
      return [...flow.roles];
    case "conversation":
      return [...new Set([...flow.roles, ...(flow.after ?? []), ...(flow.then ?? [])])];
    case "graph":
      return [...new Set([flow.entry, ...flow.edges.flatMap((edge) => [edge.from, edge.to])])].filter(
        (role) => role !== END && role !== SINK,
      );
    case "router":
      return [flow.entry];
  }
}

/** The flow to run: the declared one, or every role in the order it was added. */
export function effectiveFlow(definition: PipelineDefinition): FlowDefinition {
  return definition.flow ?? { kind: "sequence", roles: Object.keys(definition.roles) };
}

function* functionSources(definition: PipelineDefinition): Generator<[string, string]> {
  for (const [name, role] of Object.entries(definition.roles)) {
    if (role.kind === "code" || role.kind === "filter") yield [`roles.${name}.fn`, role.fn.fn];
    if (role.kind === "chat" && typeof role.prompt === "object") yield [`roles.${name}.prompt`, role.prompt.fn];
    if (role.kind === "chat") {
      for (const [index, tool] of (role.tools ?? []).entries())
        if (tool.run) yield [`roles.${name}.tools[${index}].run`, tool.run.fn];
      if (role.toolLoop?.stop) yield [`roles.${name}.toolLoop.stop`, role.toolLoop.stop.fn];
    }
    if (role.kind === "chat" && typeof role.extraBody?.fn === "string")
      yield [`roles.${name}.extraBody`, role.extraBody.fn];
  }
  for (const [name, metric] of Object.entries(definition.metrics ?? {})) {
    if (!("accumulate" in metric)) continue;
    yield [`metrics.${name}.accumulate`, metric.accumulate.fn];
    if (metric.result) yield [`metrics.${name}.result`, metric.result.fn];
  }
  const flow = definition.flow;
  if (flow?.kind === "conversation" && flow.stop) yield ["flow.stop", flow.stop.fn];
  if (flow?.kind === "router") yield ["flow.route", flow.route.fn];
  if (flow?.kind === "graph") {
    for (const [index, edge] of flow.edges.entries()) if (edge.when) yield [`flow.edges[${index}].when`, edge.when.fn];
  }
}

function* templates(definition: PipelineDefinition): Generator<[string, string]> {
  for (const [name, role] of Object.entries(definition.roles)) {
    if (role.kind !== "chat") continue;
    if (role.system !== undefined) yield [`roles.${name}.system`, role.system];
    if (typeof role.prompt === "string") yield [`roles.${name}.prompt`, role.prompt];
  }
}

/** The field paths quality and dedup roles read, by definition path. */
function* fieldPaths(definition: PipelineDefinition): Generator<[string, string]> {
  for (const [name, role] of Object.entries(definition.roles)) {
    if (role.kind === "dedup" && role.field !== undefined) yield [`roles.${name}.field`, role.field];
    if (role.kind === "quality")
      for (const [index, check] of role.checks.entries())
        if (check.field !== undefined) yield [`roles.${name}.checks[${index}].field`, check.field];
  }
}

/** Validates `value` as a pipeline definition, or throws PipelineDefinitionError naming the field path. */
export function parseDefinition(value: unknown): PipelineDefinition {
  const result = PipelineDefinitionSchema.safeParse(value);
  if (!result.success) throw zodFailure(result.error);
  const definition = result.data;
  const roleNames = Object.keys(definition.roles);
  if (roleNames.length === 0) throw new PipelineDefinitionError("roles", "a pipeline needs at least one role");
  const flow = effectiveFlow(definition);
  for (const role of flowRoles(flow)) {
    if (!(role in definition.roles)) {
      throw new PipelineDefinitionError(
        "flow",
        `the flow uses role '${role}', which is not defined (roles: ${roleNames.join(", ")})`,
      );
    }
  }
  for (const [path, source] of functionSources(definition)) {
    const [captured] = freeVariables(source, path);
    if (captured !== undefined) {
      throw new PipelineDefinitionError(
        path,
        `the function uses '${captured}', which is not defined inside it; pass values through params, or put code in a module (.module(name, path)) and call ctx.modules.<name>`,
      );
    }
  }
  for (const [name, metric] of Object.entries(definition.metrics ?? {})) {
    if ("module" in metric && !(metric.module in (definition.modules ?? {}))) {
      throw new PipelineDefinitionError(
        `metrics.${name}.module`,
        `the metric uses module '${metric.module}', which is not declared (add .module("${metric.module}", path))`,
      );
    }
  }
  for (const [name, role] of Object.entries(definition.roles)) {
    if (role.kind === "chat" && role.appendTurn === false && role.tools?.some((tool) => tool.run)) {
      throw new PipelineDefinitionError(
        `roles.${name}.appendTurn`,
        "a role that runs tools keeps its turns in the history (the calls and their results); remove appendTurn: false",
      );
    }
  }
  for (const [path, field] of fieldPaths(definition)) {
    if (field === "last" || field.startsWith("turn:")) continue;
    try {
      parseFieldPath(field);
    } catch (error) {
      throw new PipelineDefinitionError(path, (error as Error).message, { cause: error });
    }
  }
  for (const [path, template] of templates(definition)) {
    const [problem] = templateProblems(template, definition.params);
    if (problem !== undefined) throw new PipelineDefinitionError(path, `the template ${problem}`);
  }
  return definition;
}
