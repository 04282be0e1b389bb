/**
 * The `tau` recipe: tau2-bench conversations on a tau2 domain. A simulated user (LLM, driven by the
 * task's scenario) talks to the assistant (LLM, the domain policy as its system prompt, the domain's
 * tools in a tool loop) until the user sends a stop token (###STOP###, ###TRANSFER###,
 * ###OUT-OF-SCOPE###), the agent sends ###STOP###, the conversation reaches `maxSteps` messages, or
 * `maxErrors` tool calls have failed; every ending then goes through the reward agent (tau2's
 * evaluation), after the NL-assertion judge when the task's reward needs one.
 *
 * Where you are: `recipes/`. Roles: `setup` (code) → `agent` ⇄ `user` (chat, with tools) →
 * [`nl-judge`] → `reward` (code), routed by `ctx.modules.tau.route`. The runtime (tools, routing,
 * scoring) is the module sdk/recipes/tau/tau-module.ts and the database is the JSON module `tauDb`:
 * both are shipped with the run, so workers need no files. Default domain: retail (114 tasks, the
 * real benchmark); `mock` (10 tasks) is the small smoke test; any tau2 domain directory of a domain we
 * have tools for works too.
 */
import { existsSync, readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { ConfigError } from "../../errors.js";
import {
  BaseRecipeOptionsSchema,
  datasetPath,
  parseRecipeOptions,
  runtimeModule,
  type RecipeOptions,
} from "../recipe-options.js";
import { pipeline, type Pipeline } from "../../pipeline/pipeline.js";
import { tool } from "../../tools/tool.js";
import { TAU_TOOLKITS, toolkitFor } from "./domain.js";
import { agentSystemPrompt, NL_JUDGE_SYSTEM } from "./prompts.js";
import type { TauParams } from "./tau-module.js";
import type { TauTool } from "./toolkit.js";

export const TauRecipeOptionsSchema = BaseRecipeOptionsSchema.extend({
  /** A shipped domain (`retail`, `mock`) or a tau2 domain directory. @default "retail" */
  domain: z.string().min(1).optional(),
  /** Which toolkit a directory's domain uses, when the directory is not named after it. */
  domainName: z.string().min(1).optional(),
  /** tau2's max_steps: messages before the conversation stops with `max_steps`. @default 200 */
  maxSteps: z.number().int().positive().optional(),
  /** tau2's max_errors: failed tool calls before it stops with `too_many_errors`. @default 10 */
  maxErrors: z.number().int().positive().optional(),
  /** Judge NL assertions with an LLM (tau2 does when a task's reward basis has NL_ASSERTION). @default true */
  nlJudge: z.boolean().optional(),
});
/** `home`, `dataset` (another tasks.json of the domain), `model` (every LLM role), and the fields above. */
export type TauRecipeOptions = z.input<typeof TauRecipeOptionsSchema>;

const NlVerdicts = z.object({
  results: z.array(z.object({ expectedOutcome: z.string(), reasoning: z.string(), metExpectation: z.boolean() })),
});

/** The domain directory and the toolkit name for `domain`. */
export function tauDomainDir(options: TauRecipeOptions = {}): { dir: string; name: string } {
  const home = options.home ?? process.cwd();
  const domain = options.domain ?? "retail";
  const shipped = domain in TAU_TOOLKITS && !domain.includes("/");
  const dir = shipped ? join(home, "datasets/tau2", domain) : isAbsolute(domain) ? domain : resolve(domain);
  if (!existsSync(join(dir, "tasks.json")))
    throw new ConfigError(
      "domain",
      `'${domain}' is neither a shipped tau2 domain (${Object.keys(TAU_TOOLKITS).join(", ")}) nor a directory with tasks.json`,
    );
  return {
    dir,
    name:
      options.domainName ??
      (shipped
        ? domain
        : dir
            .replace(/[/\\]+$/, "")
            .split(/[/\\]/)
            .pop()!),
  };
}

function offered(tools: readonly TauTool[]) {
  return tools.map((spec) =>
    tool({
      name: spec.name,
      description: spec.description,
      parameters: spec.parameters,
      run: (args, env, ctx) => ctx.modules.tau.runTool(args, env, ctx),
    }),
  );
}

export function tau(input: RecipeOptions = {}): Pipeline {
  const options = parseRecipeOptions("tau", TauRecipeOptionsSchema, input);
  const home = options.home ?? process.cwd();
  const { dir, name } = tauDomainDir(options);
  const toolkit = toolkitFor(name);
  const maxSteps = options.maxSteps ?? 200;
  const judge = options.nlJudge === false ? undefined : "nl-judge";
  const settings: TauParams = {
    domain: name,
    roles: { assistant: "agent", user: "user" },
    maxSteps,
    maxErrors: options.maxErrors ?? 10,
    reward: "reward",
    ...(judge ? { judge } : {}),
  };
  const loop = { maxSteps, stop: (task: any, ctx: any) => ctx.modules.tau.loopStop(task, ctx) };
  let p = pipeline(`tau-${name}`)
    .source({ kind: "json", path: datasetPath(options, join(dir, "tasks.json")) })
    .params({ tau: settings, agentSystem: agentSystemPrompt(readFileSync(join(dir, "policy.md"), "utf8")) })
    .module("tau", runtimeModule(home, "recipes/tau/tau-module"))
    .module("tauDb", join(dir, "db.json"));
  if (existsSync(join(dir, "user_db.json"))) p = p.module("tauUserDb", join(dir, "user_db.json"));
  p = p
    .code("setup", (task, ctx) => ctx.modules.tau.setup(task, ctx), { description: "opens the conversation" })
    .chat("agent", {
      system: "{{params.agentSystem}}",
      tools: offered(toolkit.tools),
      toolLoop: loop,
      temperature: 0,
      model: options.model,
      description: "the assistant: the domain policy, the domain's tools",
    })
    .chat("user", {
      system: "{{state.tau.userSystem}}",
      ...(toolkit.userTools?.length ? { tools: offered(toolkit.userTools), toolLoop: loop } : {}),
      temperature: 0,
      model: options.model,
      description: "the simulated user, driven by the task's scenario",
    });
  if (judge) {
    p = p.judge(judge, {
      system: NL_JUDGE_SYSTEM,
      prompt: (task, ctx) => ctx.modules.tau.nlJudgePrompt(task, ctx),
      schema: NlVerdicts,
      view: "none",
      model: options.model,
      description: "judges the task's natural-language assertions",
    });
  }
  return p
    .code("reward", (task, ctx) => ctx.modules.tau.reward(task, ctx), { description: "tau2's evaluation" })
    .router("setup", (task, justRan, ctx) => ctx.modules.tau.route(task, justRan, ctx))
    .metric("tau", { module: "tau", export: "tauMetric" })
    .options({ maxInFlight: 64, maxHops: maxSteps * 2 + 50 });
}
