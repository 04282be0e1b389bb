/**
 * Structured output: parse the model's reply as JSON, check it against the requested JSON schema, and
 * build the one repair request (the bad reply plus the issues, asking for corrected JSON).
 *
 * Where you are: `llm/`, used by the pool after a successful call with `responseSchema`. Expected
 * failures are values (`{ success: false, issues }`); the pool turns a second failure into a
 * `StructuredOutputError`, which dead-letters the task.
 */
import type { ChatMessage } from "./llm-client.js";
import { type JsonSchema, validateJsonSchema } from "./json-schema-validator.js";

export type StructuredParse = { success: true; data: unknown } | { success: false; issues: string };

/** Models sometimes wrap JSON in a Markdown fence even in JSON mode; accept that one wrapper. */
function stripFence(text: string): string {
  const match = /^\s*```(?:json)?\s*\n?([\s\S]*?)\n?```\s*$/i.exec(text);
  return match ? match[1]! : text;
}

export function parseStructuredReply(content: string | null, schema: JsonSchema): StructuredParse {
  if (content === null || content.trim() === "") return { success: false, issues: "the reply is empty" };
  let data: unknown;
  try {
    data = JSON.parse(stripFence(content));
  } catch (error) {
    return { success: false, issues: `the reply is not valid JSON (${(error as Error).message})` };
  }
  const issues = validateJsonSchema(schema, data);
  return issues.length === 0 ? { success: true, data } : { success: false, issues: issues.join("; ") };
}

/** The conversation for the repair attempt: the original one, the bad reply, and what was wrong with it. */
export function repairMessages(messages: ChatMessage[], badReply: string | null, issues: string): ChatMessage[] {
  return [
    ...messages,
    { role: "assistant", content: badReply ?? "" },
    {
      role: "user",
      content:
        `Your reply does not match the required JSON schema: ${issues}. ` +
        "Reply again with only the corrected JSON object, no explanation and no Markdown.",
    },
  ];
}
