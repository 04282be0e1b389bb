/**
 * Recognises question shapes that pipelines check (multiple choice, yes/no) and picks an answer, so
 * simulated runs exercise parsers and stop conditions the way real models do.
 *
 * Where you are: `llm/simulator/`. Pure. Multiple-choice replies say "The correct answer is (X)"; with
 * probability `adoptRate` the simulator adopts the answer stated most recently earlier in the chat, so two
 * simulated agents in a debate converge after a variable number of turns.
 */
import type { Random } from "./random.js";

const ANSWER_PATTERN = /correct answer is \(?([A-J])\)?/gi;
const YES_NO_START = /^(is|are|does|do|did|can|could|should|would|will|was|were|has|have|had|may|might|must|shall)\b/i;

/** The option letters a prompt offers, e.g. ["A","B","C","D"], or [] when it is not multiple choice. */
export function findOptionLetters(text: string): string[] {
  const letters = new Set<string>();
  // "(A) text", "A) text", "A. text" and "A: text" at the start of a line.
  for (const match of text.matchAll(/^[ \t]*\(?([A-J])(?:\)|\.|:)[ \t]+\S/gm)) letters.add(match[1]!);
  // "(A) text (B) text" inline.
  for (const match of text.matchAll(/\(([A-J])\)[ \t]+\S/g)) letters.add(match[1]!);
  const sorted = [...letters].sort();
  // Real option lists start at A and have no gaps; anything else is probably prose.
  const valid = sorted.length >= 2 && sorted.every((letter, index) => letter.charCodeAt(0) === 65 + index);
  return valid ? sorted : [];
}

/** The answer letter most recently stated in the given texts (newest first), if any. */
export function findStatedAnswer(textsNewestFirst: string[], letters: string[]): string | undefined {
  for (const text of textsNewestFirst) {
    const matches = [...text.matchAll(ANSWER_PATTERN)];
    for (let index = matches.length - 1; index >= 0; index--) {
      const letter = matches[index]![1]!.toUpperCase();
      if (letters.includes(letter)) return letter;
    }
  }
  return undefined;
}

/** Picks the letter: adopt the stated one with probability `adoptRate`, else any option at random. */
export function chooseOption(letters: string[], stated: string | undefined, adoptRate: number, random: Random): string {
  if (stated !== undefined && random.next() < adoptRate) return stated;
  return random.pick(letters);
}

/** Whether the text asks for a yes/no answer. */
export function isYesNoQuestion(text: string): boolean {
  if (/answer\s+(with\s+)?["']?yes["']?\s+or\s+["']?no/i.test(text)) return true;
  const trimmed = text.trim();
  if (!trimmed.endsWith("?")) return false;
  // The question is the last sentence: the text after the last sentence end before the "?".
  const sentences = trimmed.slice(0, -1).split(/[.!?\n]\s*/);
  const question = sentences[sentences.length - 1]!.trim();
  return YES_NO_START.test(question);
}
