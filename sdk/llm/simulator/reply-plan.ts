/**
 * Decides what a request's reply will be before any token is emitted: its length, its finish reason, and
 * its text as filler words followed by fixed pieces (an answer, JSON, tool arguments, a predicted output).
 *
 * Where you are: `llm/simulator/`. Pure and deterministic: the seed, the messages and the parameters are
 * hashed into the PRNG, so the same request gets the same reply (streamed or not). The scheduler only
 * needs `promptTokens` and `outputTokens`; the server renders text with `renderTokens` as tokens come out.
 */
import { chooseOption, findOptionLetters, findStatedAnswer, isYesNoQuestion } from "./answer-heuristics.js";
import { textFacts, type ConversationValue } from "./conversation-values.js";
import { sampleJsonSchema } from "./json-schema-sample.js";
import type { SimulatorConfig } from "./profiles.js";
import { hashString, Random } from "./random.js";
import { messageText, type ChatCompletionRequest, type CompletionRequest } from "./request-schema.js";
import { estimateTokens, MESSAGE_OVERHEAD_TOKENS, splitIntoTokens, WordStream } from "./text-generator.js";
import { argumentValues, groundedArguments, sampleToolArguments } from "./tool-arguments.js";

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

  // A predicted output (OpenAI's `prediction`) is what a real model would mostly reproduce; the simulator
  // reproduces it exactly. This is how a pipeline scripts its replies, e.g. candidate solutions for code.
  if (body.prediction) {
    const { content } = body.prediction;
    const text = typeof content === "string" ? content : content.map((part) => part.text ?? "").join("");
    return finish({ promptTokens, wordCount: 0, fixed: splitIntoTokens(text) }, random, maxTokens);
  }
  const values = body.tools?.length ? argumentValues(body.messages) : [];
  const tool = pickTool(body, config, random, values);
  if (tool) {
    const parameters = tool.function.parameters ?? { type: "object", properties: {} };
    const args = JSON.stringify(sampleToolArguments(parameters, values, random));
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
  const reply = textReply(question, earlierTexts, sampled, config, random);
  // Plain prose (no answer a pipeline parses) may mention scenario facts and end the conversation.
  if (reply.fixed.length === 0) reply.fixed = splitIntoTokens(scenarioSuffix(body.messages, config, random));
  return finish({ promptTokens, ...reply }, random, maxTokens);
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

type OfferedTool = NonNullable<ChatCompletionRequest["tools"]>[number];

function pickTool(
  body: ChatCompletionRequest,
  config: SimulatorConfig,
  random: Random,
  values: readonly ConversationValue[],
): OfferedTool | undefined {
  const tools = body.tools ?? [];
  const choice = body.tool_choice ?? "auto";
  if (tools.length === 0 || choice === "none") return undefined;
  if (typeof choice === "object") return tools.find((tool) => tool.function.name === choice.function.name) ?? tools[0];
  if (choice === "required") return pickGrounded(tools, values, random);
  // Each tool round in a row makes another call less likely, so an answer in text always comes; with
  // nothing in the conversation to fill a tool's arguments, a model asks rather than calls.
  const grounding = Math.max(...tools.map((tool) => groundedArguments(tool.function.parameters ?? {}, values)));
  const rate =
    config.toolCallRate * config.toolFollowUpRate ** trailingToolRounds(body.messages) * (grounding > 0 ? 1 : 0.3);
  if (random.next() >= rate) return undefined;
  return pickGrounded(tools, values, random);
}

/** Tool rounds (an assistant message with calls, then the results) at the end of the conversation. */
function trailingToolRounds(messages: ChatCompletionRequest["messages"]): number {
  let rounds = 0;
  let index = messages.length - 1;
  while (index >= 0) {
    while (index >= 0 && messages[index]!.role === "tool") index--;
    if (index < 0 || messages[index]!.role !== "assistant" || !messages[index]!.tool_calls?.length) break;
    rounds++;
    index--;
  }
  return rounds;
}

/** A tool whose arguments the conversation can fill is up to nine times as likely (its call can succeed). */
function pickGrounded(
  tools: readonly OfferedTool[],
  values: readonly ConversationValue[],
  random: Random,
): OfferedTool {
  const weights = tools.map((tool) => 1 + 8 * groundedArguments(tool.function.parameters ?? {}, values));
  let draw = random.next() * weights.reduce((sum, weight) => sum + weight, 0);
  for (const [index, weight] of weights.entries()) {
    draw -= weight;
    if (draw < 0) return tools[index]!;
  }
  return tools[tools.length - 1]!;
}

const SENTINEL = /###[A-Z][A-Z_-]*###/g;

/**
 * What a plain reply adds after its filler words, driven by the system prompt: the next one or two
 * facts of the scenario this speaker has not said yet (ids, emails, names, numbers), so a simulated
 * user gives an agent something to look up; and, when the prompt names stop tokens such as
 * `###STOP###`, one of them with a probability that grows by `stopTokenRate` with each reply.
 */
function scenarioSuffix(messages: ChatCompletionRequest["messages"], config: SimulatorConfig, random: Random): string {
  const system = messages.filter((message) => message.role === "system" || message.role === "developer");
  if (system.length === 0) return "";
  const systemText = system.map(messageText).join("\n");
  const said = messages
    .filter((message) => message.role === "assistant")
    .map(messageText)
    .join("\n");
  const facts = textFacts(systemText);
  const fresh = [...new Set(facts)].filter((fact) => !said.includes(fact)).slice(0, random.int(1, 2));
  let suffix = fresh.length > 0 ? ` ${fresh.join(", ")}.` : "";
  const sentinels = [...new Set(systemText.match(SENTINEL) ?? [])];
  const replies = messages.filter((message) => message.role === "assistant").length;
  if (sentinels.length > 0 && random.next() < Math.min(0.95, config.stopTokenRate * (replies + 1))) {
    // Mostly the first one the prompt names (the ordinary ending), sometimes another.
    suffix += ` ${random.next() < 0.8 ? sentinels[0]! : random.pick(sentinels)}`;
  }
  return suffix;
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
