/**
 * The zod schema of a tau2-bench task (one entry of a domain's `tasks.json`): the user scenario that
 * drives the simulated user, an optional initial state (data merged into the database, initialization
 * actions, a message history to continue), and the evaluation criteria (gold actions, environment
 * assertions, information to communicate, natural-language assertions, and the reward basis).
 *
 * Where you are: `recipes/tau/`, the tau runtime. Unknown fields pass through (tau2 adds fields over
 * time); the ones the recipe uses are checked, and a bad task is a TauDataError naming its field.
 */
import { z } from "zod";
import { TauDataError } from "../../errors.js";
import { formatIssuePath } from "../../schema/issue-path.js";

const Requestor = z.enum(["assistant", "user"]);
const Arguments = z.record(z.string(), z.unknown());

export const TauFunctionCallSchema = z.looseObject({
  env_type: Requestor.optional(),
  func_name: z.string().min(1),
  arguments: Arguments.default({}),
  assert_value: z.boolean().optional(),
  message: z.string().nullish(),
});

export const TauActionSchema = z.looseObject({
  action_id: z.string().optional(),
  name: z.string().min(1),
  arguments: Arguments.default({}),
  requestor: Requestor.default("assistant"),
  /** Arguments compared with the agent's call; null compares all, [] only the name. */
  compare_args: z.array(z.string()).nullish(),
  info: z.string().nullish(),
});
export type TauAction = z.infer<typeof TauActionSchema>;

export const TauHistoryMessageSchema = z.looseObject({
  role: z.enum(["system", "user", "assistant", "tool"]),
  content: z.string().nullish(),
  tool_calls: z
    .array(
      z.looseObject({
        id: z.string(),
        name: z.string(),
        arguments: Arguments.default({}),
        requestor: Requestor.optional(),
      }),
    )
    .nullish(),
  /** For a tool message: the id of the call it answers. */
  id: z.string().optional(),
  requestor: Requestor.optional(),
  error: z.boolean().optional(),
});

const StructuredInstructions = z.looseObject({
  domain: z.string().nullish(),
  reason_for_call: z.string().nullish(),
  known_info: z.string().nullish(),
  unknown_info: z.string().nullish(),
  task_instructions: z.string().nullish(),
});

export const RewardTypeSchema = z.enum(["DB", "ENV_ASSERTION", "NL_ASSERTION", "ACTION", "COMMUNICATE"]);
export type RewardType = z.infer<typeof RewardTypeSchema>;

export const TauTaskSchema = z.looseObject({
  id: z.union([z.string().min(1), z.number()]).transform(String),
  user_scenario: z.looseObject({
    persona: z.string().nullish(),
    instructions: z.union([z.string(), StructuredInstructions]),
  }),
  ticket: z.string().nullish(),
  initial_state: z
    .looseObject({
      initialization_data: z
        .looseObject({
          agent_data: z.record(z.string(), z.unknown()).nullish(),
          user_data: z.record(z.string(), z.unknown()).nullish(),
        })
        .nullish(),
      initialization_actions: z.array(TauFunctionCallSchema).nullish(),
      message_history: z.array(TauHistoryMessageSchema).nullish(),
    })
    .nullish(),
  evaluation_criteria: z
    .looseObject({
      actions: z.array(TauActionSchema).nullish(),
      env_assertions: z.array(TauFunctionCallSchema).nullish(),
      communicate_info: z.array(z.string()).nullish(),
      nl_assertions: z.array(z.string()).nullish(),
      /** The components whose product is the reward. @default ["DB", "COMMUNICATE"] (tau2's default) */
      reward_basis: z.array(RewardTypeSchema).default(["DB", "COMMUNICATE"]),
    })
    .nullish(),
});
export type TauTask = z.infer<typeof TauTaskSchema>;

/** Parses one task; `where` names it in errors (e.g. `retail/tasks.json[3]`, or a task id). */
export function parseTauTask(value: unknown, where: string): TauTask {
  const result = TauTaskSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new TauDataError(`${where}${issue.path.length ? `.${formatIssuePath(issue.path)}` : ""}`, issue.message);
  }
  return result.data;
}
