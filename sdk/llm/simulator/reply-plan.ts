/**
 * Decides what a request's reply will be before any token is emitted: its length, its finish reason, and
 * its text as filler words followed by fixed pieces (an answer, JSON, tool arguments).
 *
 * Where you are: `llm/simulator/`. Pure and deterministic: the seed, the messages and the parameters are
 * hashed into the PRNG, so the same request gets the same reply (streamed or not). The scheduler only
 * needs `promptTokens` and `outputTokens`; the server renders text with `renderTokens` as tokens come out.
 */
import { chooseOption, findOptionLetters, findStatedAnswer, isYesNoQuestion } from "./answer-heuristics.js";
import { sampleJsonSchema } from "./json-schema-sample.js";
import type { SimulatorConfig } from "./profiles.js";
import { hashString, Random } from "./random.js";
import { messageText, type ChatCompletionRequest, type CompletionRequest } from "./request-schema.js";
import { estimateTokens, MESSAGE_OVERHEAD_TOKENS, splitIntoTokens, WordStream } from "./text-generator.js";

export type FinishReason = "stop" | "length" | "tool_calls";

export interface ReplyPlan {
  promptTokens: number;
  /** Tokens the reply has after the `max_tokens` cap: what `usage.completion_tokens` reports. */
  outputTokens: number;
  finishReason: FinishReason;
  /** The reply is `wordCount` filler words (one token each) followed by the `fixed` pieces. */
  wordCount: number;
  wordSeed: number;
  fixed: string[];
  /** Set when the reply is a tool call: the text is then its `arguments`. */
  toolCall?: { id: string; name: string };
}

/** Plans a `/v1/chat/completions` reply. `malformed` breaks the JSON of a structured reply (fault). */
export function planChatReply(body: ChatCompletionRequest, config: SimulatorConfig, malformed: boolean): ReplyPlan {
  const random = new Random(hashString(requestKey(body), config.seed));
  const promptTokens =
    body.messages.reduce((sum, message) => sum + estimateTokens(messageText(message)) + MESSAGE_OVERHEAD_TOKENS, 0) +
    (body.tools ? estimateTokens(JSON.stringify(body.tools)) : 0) +
    (body.response_format ? estimateTokens(JSON.stringify(body.response_format)) : 0);
  const sampled = sampleLength(config, random);
  const maxTokens = body.max_completion_tokens ?? body.max_tokens ?? undefined;
  const lastMessage = body.messages[body.messages.length - 1]!;

  const tool = pickTool(body, lastMessage.role, config, random);
  if (tool) {
    const parameters = tool.function.parameters ?? { type: "object", properties: {} };
    const args = JSON.stringify(sampleJsonSchema(parameters, random));
    const toolCall = {
      id: `call_${random.int(0, 0xffffffff).toString(16).padStart(8, "0")}`,
      name: tool.function.name,
    };
    return finish(
      { promptTokens, wordCount: 0, fixed: splitIntoTokens(breakJson(args, malformed)), toolCall },
      random,
      maxTokens,
    );
  }
  const format = body.response_format;
  if (format?.type === "json_schema" || format?.type === "json_object") {
    const schema = format.type === "json_schema" && format.json_schema.schema ? format.json_schema.schema : FREE_OBJECT;
    const json = JSON.stringify(sampleJsonSchema(schema, random, schema, 0, { prefer: statedValues(body) }));
    return finish(
      { promptTokens, wordCount: 0, fixed: splitIntoTokens(breakJson(json, malformed)) },
      random,
      maxTokens,
    );
  }
  if (malformed) return finish({ promptTokens, wordCount: 0, fixed: splitIntoTokens(BROKEN_JSON) }, random, maxTokens);

  const lastUser = [...body.messages].reverse().find((message) => message.role === "user");
  const question = lastUser ? messageText(lastUser) : "";
  const earlierTexts = body.messages
    .filter((message) => message.role === "user" || message.role === "assistant")
    .map(messageText)
    .reverse();
  return finish({ promptTokens, ...textReply(question, earlierTexts, sampled, config, random) }, random, maxTokens);
}

/** An answer letter the last user message states ("The correct answer is (C)"): what an extractor copies. */
function statedValues(body: ChatCompletionRequest): string[] {
  const lastUser = [...body.messages].reverse().find((message) => message.role === "user");
  const stated = lastUser ? findStatedAnswer([messageText(lastUser)], [..."ABCDEFGHIJ"]) : undefined;
  return stated === undefined ? [] : [stated];
}

/** Plans a `/v1/completions` reply: the same text rules, applied to the prompt. */
export function planCompletionReply(body: CompletionRequest, config: SimulatorConfig): ReplyPlan {
  const random = new Random(hashString(requestKey(body), config.seed));
  const prompt = Array.isArray(body.prompt) ? body.prompt.join("\n") : body.prompt;
  const sampled = sampleLength(config, random);
  const reply = textReply(prompt, [prompt], sampled, config, random);
  return finish({ promptTokens: estimateTokens(prompt), ...reply }, random, body.max_tokens ?? undefined);
}

/** The text of tokens [from, to) of a reply; call with consecutive ranges on one `WordStream`. */
export function renderTokens(plan: ReplyPlan, words: WordStream, from: number, to: number): string {
  let text = "";
  const wordEnd = Math.min(to, plan.wordCount);
  if (wordEnd > from) {
    // The last filler word ends its sentence unless the reply was cut off inside the filler.
    const lastWord = plan.outputTokens > plan.wordCount || plan.finishReason !== "length" ? plan.wordCount - 1 : -1;
    text += words.take(wordEnd - from, lastWord);
  }
  const fixedFrom = Math.max(from, plan.wordCount) - plan.wordCount;
  const fixedTo = to - plan.wordCount;
  if (fixedTo > fixedFrom) text += plan.fixed.slice(fixedFrom, fixedTo).join("");
  return text;
}

/** The whole reply text (for non-streamed replies). */
export function renderReply(plan: ReplyPlan): string {
  return renderTokens(plan, new WordStream(plan.wordSeed), 0, plan.outputTokens);
}

const FREE_OBJECT = { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] };
const BROKEN_JSON = '{"answer": "unterminated';

function textReply(
  question: string,
  earlierTextsNewestFirst: string[],
  sampled: number,
  config: SimulatorConfig,
  random: Random,
): { wordCount: number; fixed: string[] } {
  const letters = findOptionLetters(question);
  if (letters.length > 0) {
    const stated = findStatedAnswer(earlierTextsNewestFirst, letters);
    const letter = chooseOption(letters, stated, config.adoptRate, random);
    // Some reasoning first, as a chat model would, then the sentence pipelines parse.
    const wordCount = Math.round(sampled / 3);
    return { wordCount, fixed: splitIntoTokens(`${wordCount > 0 ? " " : ""}The correct answer is (${letter}).`) };
  }
  if (isYesNoQuestion(question)) return { wordCount: 0, fixed: [random.next() < config.yesRate ? "Yes" : "No"] };
  return { wordCount: sampled, fixed: [] };
}

function pickTool(
  body: ChatCompletionRequest,
  lastRole: string,
  config: SimulatorConfig,
  random: Random,
): NonNullable<ChatCompletionRequest["tools"]>[number] | undefined {
  const tools = body.tools ?? [];
  const choice = body.tool_choice ?? "auto";
  if (tools.length === 0 || choice === "none") return undefined;
  if (typeof choice === "object") return tools.find((tool) => tool.function.name === choice.function.name) ?? tools[0];
  if (choice === "required") return random.pick(tools);
  // After a tool result a model usually answers in text; calling again forever would loop agents.
  if (lastRole === "tool" || random.next() >= config.toolCallRate) return undefined;
  return random.pick(tools);
}

function finish(
  reply: Pick<ReplyPlan, "promptTokens" | "wordCount" | "fixed" | "toolCall">,
  random: Random,
  maxTokens: number | undefined,
): ReplyPlan {
  const total = Math.max(1, reply.wordCount + reply.fixed.length);
  const capped = maxTokens !== undefined && total > maxTokens;
  return {
    ...reply,
    wordSeed: random.int(0, 0xffffffff),
    outputTokens: capped ? maxTokens : total,
    finishReason: capped ? "length" : reply.toolCall ? "tool_calls" : "stop",
  };
}

function sampleLength(config: SimulatorConfig, random: Random): number {
  const length = Math.round(random.lognormal(config.outputTokensMedian, config.outputTokensSigma));
  return Math.min(config.maxOutputTokens, Math.max(1, length));
}

/** Cuts JSON short so it no longer parses (the malformed-JSON fault). */
function breakJson(json: string, malformed: boolean): string {
  return malformed ? json.slice(0, Math.max(1, Math.floor(json.length / 2))) : json;
}

/** The parts of a request that decide its reply: everything except transport options. */
function requestKey(body: Record<string, unknown>): string {
  const { stream: _stream, stream_options: _options, user: _user, ...rest } = body;
  return JSON.stringify(rest);
}
