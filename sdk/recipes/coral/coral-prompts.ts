/**
 * Coral's prompts: what both speakers are told, the question that opens their conversation, and the
 * answer extractor's request (the question, the options and the latest reply, asking for one letter).
 *
 * Where you are: `recipes/coral/`. The prompt functions travel as source text (see coral-matcher).
 */
import type { AgentContext } from "../../agent/agent-context.js";
import type { ChatMessage } from "../../llm/llm-client.js";
import type { Task } from "../../schema/task.js";

/** A speaker's system prompt (built when the recipe is, so it is plain text in the definition). */
export function speakerSystem(persona: string, partner: string): string {
  return (
    `You are the ${persona} in a discussion of a multiple-choice question with the ${partner}. Work through ` +
    `it together: give your reasoning, point out mistakes in the ${partner}'s reasoning, change your mind ` +
    "only when you are shown to be wrong, and hold positions you are sure of. End every reply with " +
    "'The correct answer is (X)', where X is the letter of the option you now believe is correct."
  );
}

/** The opening user message of both speakers: the question and its lettered options. */
export function questionPrompt(task: Task): string {
  const row = task.row as { question: string; choices: Record<string, string> };
  const options = Object.entries(row.choices)
    .map(([letter, text]) => `(${letter}) ${text}`)
    .join("\n");
  return `${row.question}\n\n${options}`;
}

/** The extractor's messages: which option does the latest speaker reply commit to? */
export async function extractorPrompt(task: Task, ctx: AgentContext): Promise<ChatMessage[]> {
  const speakers = ctx.params.speakers as string[];
  const row = task.row as { question: string; choices: Record<string, string> };
  const turns = task.history.filter((turn) => speakers.includes(turn.role));
  const last = turns[turns.length - 1];
  const reply = last ? ((await ctx.content(last)) ?? "") : "";
  const options = Object.entries(row.choices)
    .map(([letter, text]) => `(${letter}) ${text}`)
    .join("\n");
  return [
    {
      role: "system",
      content:
        "You read a reply to a multiple-choice question and report which option it chooses as its final " +
        'answer. Reply with JSON only: {"answer": "<letter>"}, or {"answer": "none"} when the reply does ' +
        "not commit to exactly one option.",
    },
    { role: "user", content: `Question:\n${row.question}\n\n${options}\n\nReply:\n${reply}` },
  ];
}
