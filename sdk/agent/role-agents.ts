/**
 * Starts one agent per role of a pipeline definition, with the definition's defaults applied in one
 * place: the driver's local agents and a NATS worker's agents are built the same way.
 *
 * Where you are: `agent/`. Change a default (concurrency, maxHops, maxAttempts) here and nowhere else.
 */
import type { BusConsumer } from "../bus/bus.js";
import type { Flow } from "../flow/flow.js";
import type { PipelineDefinition } from "../schema/pipeline-definition.js";
import { startAgent, type AgentOptions } from "./agent-loop.js";
import type { AgentMeter } from "./agent-meter.js";
import { roleHandler } from "./role-handler.js";
import type { Handler } from "./task-update.js";

export interface RoleAgentsOptions extends Pick<
  AgentOptions,
  "bus" | "signal" | "llm" | "sandbox" | "modules" | "content" | "onHop" | "logger"
> {
  definition: PipelineDefinition;
  flow: Flow;
  /** The roles to serve (a worker may serve a subset). */
  roles: readonly string[];
  /** Instance names are `<agentPrefix>/<role>`. */
  agentPrefix: string;
  model?: string;
  /** Concurrency per role unless the role sets its own. @default definition.options.concurrency, else 64 */
  concurrency?: number;
  /** Replaces every role's handler (a worker that cannot load the run's modules fails each task). */
  handler?: Handler;
  /** The delivery meter of each role (metrics). @default none */
  meter?: (role: string) => AgentMeter;
}

export function startRoleAgents(options: RoleAgentsOptions): BusConsumer[] {
  const { definition } = options;
  const allRoles = new Set(Object.keys(definition.roles));
  return options.roles.map((role) => {
    const roleDefinition = definition.roles[role]!;
    return startAgent({
      bus: options.bus,
      role,
      handler: options.handler ?? roleHandler(role, roleDefinition, { model: options.model, bus: options.bus }),
      flow: options.flow,
      concurrency: roleDefinition.concurrency ?? options.concurrency ?? definition.options.concurrency ?? 64,
      agent: `${options.agentPrefix}/${role}`,
      params: definition.params,
      modules: options.modules,
      signal: options.signal,
      llm: options.llm,
      sandbox: options.sandbox,
      logger: options.logger?.child({ role, agent: `${options.agentPrefix}/${role}` }),
      content: options.content,
      maxHops: definition.options.maxHops ?? 1000,
      maxAttempts: definition.options.maxAttempts ?? 3,
      roles: allRoles,
      onHop: options.onHop,
      meter: options.meter?.(role),
      trace: definition.options.trace ?? false,
    });
  });
}
