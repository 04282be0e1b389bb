/**
 * The prompts of the tau recipe's LLM roles: the assistant (the domain policy as its system prompt),
 * the simulated user (guidelines plus the task's scenario), and the natural-language judge. Written for
 * this project after tau2-bench's roles (the same stop tokens and the same division of knowledge: the
 * user knows its scenario, the agent only the policy and the tools).
 *
 * Where you are: `recipes/tau/`, the tau runtime. Change a prompt here; the recipe puts the assistant's
 * into params and the user's into each task's state when the task starts.
 */
import type { TauMessage } from "./environment.js";
import type { TauTask } from "./task-schema.js";

/** tau2's stop tokens for the simulated user: done, transferred to a human, or out of the scenario's scope. */
export const USER_STOP_TOKENS = ["###STOP###", "###TRANSFER###", "###OUT-OF-SCOPE###"] as const;
/** The token an agent sends to end the conversation itself. */
export const AGENT_STOP_TOKEN = "###STOP###";
/** The assistant's first message, as tau2 opens every conversation. */
export const GREETING = "Hi! How can I help you today?";

export function agentSystemPrompt(policy: string): string {
  return [
    "<instructions>",
    "You are a customer service agent. Help the user as the <policy> below allows, and never against it.",
    "Each of your turns is either a message to the user or one tool call, never both.",
    "Use the tools to look things up and to make changes; do not invent information the user or the tools did not give you.",
    "</instructions>",
    "<policy>",
    policy.trim(),
    "</policy>",
  ].join("\n");
}

const USER_GUIDELINES = `You are playing a customer who contacts a customer service agent. Your goal, and everything you know, is in the <scenario> below.

- Write only what the customer says, one message at a time, in a natural conversational tone.
- Reveal information step by step, when it becomes relevant or the agent asks for it; do not recite the whole scenario at once.
- Never invent facts that are not in the scenario (ids, numbers, addresses). If the agent asks for something you do not know, say so.
- Do not help the agent do its job, and do not accept outcomes the scenario does not allow.
- When the scenario's goal is reached, or it cannot be reached, end the conversation with ${USER_STOP_TOKENS[0]} on its own.
- If you are transferred to another agent, reply ${USER_STOP_TOKENS[1]}.
- If the conversation turns to something the scenario gives you no information about, reply ${USER_STOP_TOKENS[2]}.`;

function scenarioText(task: TauTask): string {
  const { persona, instructions } = task.user_scenario;
  const lines: string[] = [];
  if (persona) lines.push(`Persona:\n${persona}`);
  if (typeof instructions === "string") lines.push(`Instructions:\n${instructions}`);
  else {
    const parts: Array<[string, string | null | undefined]> = [
      ["Domain", instructions.domain],
      ["Reason for call", instructions.reason_for_call],
      ["Known info", instructions.known_info],
      ["Unknown info", instructions.unknown_info],
      ["Task instructions", instructions.task_instructions],
    ];
    for (const [label, text] of parts) if (text) lines.push(`${label}:\n${text}`);
  }
  return lines.join("\n\n");
}

export function userSystemPrompt(task: TauTask): string {
  return `${USER_GUIDELINES}\n\n<scenario>\n${scenarioText(task)}\n</scenario>`;
}

export const NL_JUDGE_SYSTEM = `You grade a customer service conversation against a list of expected outcomes.
Judge each expected outcome on its own: is it satisfied by what the agent said and did in the conversation?
Answer in JSON: {"results": [{"expectedOutcome": "<the outcome, as given>", "reasoning": "<short>", "metExpectation": true or false}]}, one entry per expected outcome, in the order given.`;

export function nlJudgePrompt(trajectory: readonly TauMessage[], assertions: readonly string[]): string {
  const transcript = trajectory
    .filter((message) => message.role !== "tool" && message.content)
    .map((message) => `${message.role}: ${message.content}`)
    .join("\n");
  return `Conversation:\n${transcript}\n\nExpected outcomes:\n${assertions.map((text, index) => `${index + 1}. ${text}`).join("\n")}`;
}
