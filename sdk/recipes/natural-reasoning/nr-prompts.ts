/**
 * The natural-reasoning prompts: the yes/no reasoning check, the scoring request and the question
 * request. Each shows the passage (cut to `params.maxPassageChars`: web pages can be long) and asks
 * last, which is where models (and the simulator) look for the instruction.
 *
 * Where you are: `recipes/natural-reasoning/`. The functions travel as source text inside the
 * definition (to NATS workers too), so they use nothing outside themselves.
 */
import type { AgentContext } from "../../agent/agent-context.js";
import type { Task } from "../../schema/task.js";

export function reasoningPrompt(task: Task, ctx: AgentContext): string {
  const text = String((task.row as { text?: unknown }).text ?? "").slice(0, ctx.params.maxPassageChars as number);
  return (
    `Passage:\n${text}\n\n` +
    "Does this passage contain reasoning: a chain of steps from premises to a conclusion, such as a " +
    "worked calculation, a derivation, an explanation of causes, or an argument? Listings, notices and " +
    "plain statements of fact do not count. Answer Yes or No."
  );
}

export function scorePrompt(task: Task, ctx: AgentContext): string {
  const text = String((task.row as { text?: unknown }).text ?? "").slice(0, ctx.params.maxPassageChars as number);
  const criteria = Object.entries(ctx.params.criteria as Record<string, string>)
    .map(([name, meaning]) => `- ${name}: ${meaning}`)
    .join("\n");
  return (
    `Passage:\n${text}\n\n` +
    `Rate the passage on each criterion from 0 (absent) to 4 (excellent):\n${criteria}\n\n` +
    "Reply with a JSON object holding one integer per criterion."
  );
}

export function questionPrompt(task: Task, ctx: AgentContext): string {
  const text = String((task.row as { text?: unknown }).text ?? "").slice(0, ctx.params.maxPassageChars as number);
  return (
    `Passage:\n${text}\n\n` +
    "Write one self-contained exam question that needs the kind of reasoning this passage contains, " +
    "answerable without the passage. Reply with a JSON object: question; answer (short); steps, a list of " +
    "independent reasoning steps, each understandable on its own; final_step, the last step, stating the " +
    "answer in \\boxed{...}."
  );
}
