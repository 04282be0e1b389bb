/**
 * Token counting and filler text: the simulator's stand-in for a tokenizer and a language model.
 *
 * Where you are: `llm/simulator/`. Pure. Two rules keep usage figures honest: a prompt costs
 * `ceil(characters / 4)` tokens per message plus 4 for the chat template; a generated word is exactly one
 * token, and fixed text (JSON, answers) is cut into 4-character pieces, one token each. Change the rules
 * here and in docs/simulator.md together.
 */
import { nextRandom } from "./random.js";

/** Short common words, so "one word = one token" is close to what a BPE tokenizer would say. */
const WORDS = (
  "the of and to in is it that for on as with was by at be this are or from an but not can all one " +
  "has had more some time new will out what may also when use two so how each like then them way many " +
  "than its only well most over such data case rule flow task step plan test note form part line node " +
  "idea view fact term list item goal size rate cost load path key role work run set map log mode type"
).split(" ");

/** Characters per token in the estimate (the usual rule of thumb for English BPE). */
export const CHARS_PER_TOKEN = 4;

/** Per-message overhead of a chat template (role markers), in tokens. */
export const MESSAGE_OVERHEAD_TOKENS = 4;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / CHARS_PER_TOKEN);
}

/** Cuts fixed text into the tokens the simulator emits: 4-character pieces, so joining restores it. */
export function splitIntoTokens(text: string): string[] {
  const pieces: string[] = [];
  for (let index = 0; index < text.length; index += CHARS_PER_TOKEN)
    pieces.push(text.slice(index, index + CHARS_PER_TOKEN));
  return pieces;
}

/**
 * Streams filler words from a seeded state. Holds two numbers so ten thousand open requests stay small;
 * `take` continues where the last call stopped, so streamed and whole replies are the same text.
 */
export class WordStream {
  private index = 0;
  private capitalize = true;

  constructor(private state: number) {}

  /** The next `count` word tokens; `last` is the index of the final word of the reply (it gets a period). */
  take(count: number, last: number): string {
    let text = "";
    for (let step = 0; step < count; step++, this.index++) {
      let draw = nextRandom(this.state);
      this.state = draw.state;
      let word = WORDS[Math.floor(draw.value * WORDS.length)]!;
      if (this.capitalize) word = word[0]!.toUpperCase() + word.slice(1);
      draw = nextRandom(this.state);
      this.state = draw.state;
      // A sentence ends about every 12 words; the punctuation rides on the word's token.
      this.capitalize = draw.value < 0.08 || this.index === last;
      if (this.capitalize) word += ".";
      text += this.index === 0 ? word : ` ${word}`;
    }
    return text;
  }
}
