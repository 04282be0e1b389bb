/**
 * The values a conversation mentions — ids, emails, numbers, names, and every string a tool returned
 * under a key — so simulated tool calls can use them (a call with an id the user gave, or one a lookup
 * returned, can succeed; a random string never does), and a simulated user can reveal the facts of
 * its scenario a few at a time.
 *
 * Where you are: `llm/simulator/`. Pure. Used by tool-arguments.ts (which value fits which argument)
 * and reply-plan.ts (which facts a text reply mentions). The patterns are deliberately plain: they
 * look for what tool-using datasets are made of (order ids `#W2378156`, user ids `sara_doe_496`, item
 * ids `1008292230`, emails, zip codes, "First Last" names), not for language.
 */
import { messageText, type ChatMessageBody } from "./request-schema.js";

export interface ConversationValue {
  value: string;
  /** The JSON key it was found under (tool results, earlier call arguments), when there was one. */
  key?: string;
  /** Position in the conversation: higher is more recent. */
  order: number;
  /** Found in a system prompt (instructions, a scenario) rather than in the conversation itself. */
  system?: boolean;
}

/** Id-like tokens: `#W123`, `user_1`, `credit_card_9513926`, long digit runs, emails. */
const TOKEN = /#?[A-Za-z0-9][A-Za-z0-9_.@+-]*[A-Za-z0-9]|#?\d+/g;
/** Two capitalised words in a row, e.g. "Yusuf Rossi". */
const NAME_PAIR = /(?<![.!?:]\s*|^)\b([A-Z][a-z]+) ([A-Z][a-z]+)\b/gm;
const NOT_NAMES = new Set(["The", "You", "Your", "If", "When", "Then", "This", "That", "It", "We", "They", "Please"]);

/** Whether a free-text token is worth reusing as an argument (not an ordinary word). */
export function isIdLike(token: string): boolean {
  return /\d/.test(token) || token.startsWith("#") || (token.includes("_") && /[a-z]/i.test(token));
}

export function isEmail(token: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[a-z]{2,}$/i.test(token);
}

/** Stop tokens like `###STOP###` are control words, never values. */
const SENTINEL = /###[A-Z][A-Z_-]*###/g;

/** Id-like tokens and emails of a text, in order. */
export function textValues(text: string): string[] {
  return textFacts(text).filter((fact) => !fact.includes(" "));
}

/** Id-like tokens, emails and "First Last" names of a text, in the order they appear. */
export function textFacts(text: string): string[] {
  const clean = text.replace(SENTINEL, " ");
  const found: Array<[number, string]> = [];
  for (const match of clean.matchAll(TOKEN)) {
    const token = match[0].replace(/[.,;:]+$/, "");
    if (isEmail(token) || isIdLike(token)) found.push([match.index ?? 0, token]);
  }
  for (const match of clean.matchAll(NAME_PAIR)) {
    if (!NOT_NAMES.has(match[1]!) && !NOT_NAMES.has(match[2]!))
      found.push([match.index ?? 0, `${match[1]} ${match[2]}`]);
  }
  return found.sort((a, b) => a[0] - b[0]).map(([, fact]) => fact);
}

/** "First Last" name pairs of a text (not at a sentence start, where any word is capitalised). */
export function namePairs(text: string): Array<[string, string]> {
  return textFacts(text)
    .filter((fact) => fact.includes(" "))
    .map((fact) => fact.split(" ") as [string, string]);
}

function walkJson(value: unknown, key: string | undefined, push: (value: string, key?: string) => void): void {
  if (typeof value === "string") push(value, key);
  else if (typeof value === "number" && Number.isInteger(value)) push(String(value), key);
  else if (Array.isArray(value)) for (const item of value) walkJson(item, key, push);
  else if (typeof value === "object" && value !== null) {
    for (const [childKey, child] of Object.entries(value)) {
      // Maps keyed by id (`payment_methods: { credit_card_1: {...} }`): the keys are values too.
      if (typeof child === "object" && child !== null && !Array.isArray(child) && isIdLike(childKey))
        push(childKey, key);
      walkJson(child, childKey, push);
    }
  }
}

/** Every value the messages mention, oldest first. */
export function conversationValues(messages: readonly ChatMessageBody[]): ConversationValue[] {
  const values: ConversationValue[] = [];
  let order = 0;
  let system = false;
  const push = (value: string, key?: string) => {
    if (value.length > 0 && value.length <= 200)
      values.push({ value, ...(key ? { key } : {}), order: order++, ...(system ? { system } : {}) });
  };
  for (const message of messages) {
    system = message.role === "system" || message.role === "developer";
    const text = messageText(message);
    let parsed: unknown;
    if (message.role === "tool" && /^\s*[[{]/.test(text)) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (parsed !== undefined) walkJson(parsed, undefined, push);
    else {
      for (const token of textValues(text)) push(token);
      for (const [first, last] of namePairs(text)) {
        push(first, "first_name");
        push(last, "last_name");
      }
    }
    for (const call of message.tool_calls ?? []) {
      try {
        walkJson(JSON.parse(call.function.arguments), undefined, push);
      } catch {
        // A malformed earlier call has nothing to reuse.
      }
    }
  }
  return values;
}
