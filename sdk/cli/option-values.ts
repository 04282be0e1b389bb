/**
 * Typed, range-checked option values for the `matrix` command tree: whole-number counts with a
 * minimum, positive or non-negative decimals, ports, probabilities and fractions, and repeatable
 * `key=value`-like entries of a fixed shape. A bad value is a usage error (exit 2) whose line says what
 * the flag expects.
 *
 * Where you are: `cli/`, cheap to load (commander only): program.ts builds every option with these.
 * Each numeric option is remembered with its kind, and each shaped option with what it expects, so the
 * usage-error test can find every one in the tree: counts get a negative, a fractional, a non-numeric
 * (and, where 0 is refused, a zero) value; the other numbers a non-numeric one and each value outside
 * their range; shaped options a value without the shape.
 */
import { InvalidArgumentError, Option } from "@commander-js/extra-typings";

/**
 * What a numeric option accepts: a whole number from `min` (a count or a port), or a decimal that is
 * above 0 (`positive`), 0 or more (`non-negative`), 0 to 1 (`probability`), above 0 and at most 1
 * (`fraction`), or any finite number (`number`).
 */
export type NumericKind =
  | { kind: "count"; min: number }
  | { kind: "port" }
  | { kind: "positive" | "non-negative" | "probability" | "fraction" | "number" };

const numeric = new WeakMap<object, NumericKind>();
const shapes = new WeakMap<object, string>();

/** The kind of a numeric option made here, or undefined for any other option. */
export function numericKind(option: object): NumericKind | undefined {
  return numeric.get(option);
}

/** What a shaped option made here expects (`key=value`), or undefined for any other option. */
export function expectedShape(option: object): string | undefined {
  return shapes.get(option);
}

function remember<T extends object>(option: T, kind: NumericKind): T {
  numeric.set(option, kind);
  return option;
}

function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER) {
  const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `${min} to ${max}`;
  return (value: string): number => {
    const number = Number(value);
    if (!/^\s*-?\d+\s*$/.test(value) || !Number.isSafeInteger(number) || number < min || number > max)
      throw new InvalidArgumentError(`expected a whole number, ${range}, got '${value}'`);
    return number;
  };
}

/** `--flag <n>` taking a whole number of at least `min` (1 unless 0 means something). */
export function countOption<Flags extends string>(flags: Flags, description: string, min = 1) {
  return remember(new Option(flags, description).argParser(wholeNumber(min)), { kind: "count", min });
}

/** `--port <port>`: 0 (any free port) to 65535. */
export function portOption<Flags extends string>(flags: Flags, description: string) {
  return remember(new Option(flags, description).argParser(wholeNumber(0, 65535)), { kind: "port" });
}

/** A finite decimal within a range, or the usage error that says which range. */
function decimal(accepts: (number: number) => boolean, expected: string) {
  return (value: string): number => {
    const number = Number(value);
    if (value.trim() === "" || !Number.isFinite(number) || !accepts(number))
      throw new InvalidArgumentError(`expected ${expected}, got '${value}'`);
    return number;
  };
}

/** `--flag <x>`: a finite number above 0 (a speed factor). */
export function positiveNumberOption<Flags extends string>(flags: Flags, description: string) {
  const option = new Option(flags, description).argParser(decimal((n) => n > 0, "a number above 0"));
  return remember(option, { kind: "positive" });
}

/** `--flag <x>`: a finite number, 0 or more (a duration, a spread). */
export function nonNegativeNumberOption<Flags extends string>(flags: Flags, description: string) {
  const option = new Option(flags, description).argParser(decimal((n) => n >= 0, "a number, 0 or more"));
  return remember(option, { kind: "non-negative" });
}

/** `--flag <p>`: a probability, 0 to 1. */
export function probabilityOption<Flags extends string>(flags: Flags, description: string) {
  const option = new Option(flags, description).argParser(decimal((n) => n >= 0 && n <= 1, "a number from 0 to 1"));
  return remember(option, { kind: "probability" });
}

/** `--flag <t>`: above 0 and at most 1 (a similarity threshold). */
export function fractionOption<Flags extends string>(flags: Flags, description: string) {
  const option = new Option(flags, description).argParser(
    decimal((n) => n > 0 && n <= 1, "a number above 0, at most 1"),
  );
  return remember(option, { kind: "fraction" });
}

/** `--flag <x>`: any finite number (a seed). */
export function numberOption<Flags extends string>(flags: Flags, description: string) {
  const option = new Option(flags, description).argParser(decimal(() => true, "a number"));
  return remember(option, { kind: "number" });
}

/**
 * `--flag <entry...>`, repeatable: each entry must match `shape` (`expected` says how, with an example);
 * the entries arrive as a list, checked, for the action to read.
 */
export function shapedListOption<Flags extends string>(
  flags: Flags,
  description: string,
  shape: RegExp,
  expected: string,
) {
  const option = new Option(flags, description).argParser((entry: string, previous: string[] | undefined): string[] => {
    if (!shape.test(entry)) throw new InvalidArgumentError(`expected ${expected}, got '${entry}'`);
    return [...(previous ?? []), entry];
  });
  shapes.set(option, expected);
  return option;
}

const KEY_VALUE = "key=value";

/**
 * `--option <key=value>`, repeatable: recipe options collected into one object. A value that parses
 * as JSON (a number, true, a list) is that value; anything else is a string (a name, a path).
 */
export function keyValueOption<Flags extends string>(flags: Flags, description: string) {
  const option = new Option(flags, description)
    .argParser((pair: string, previous: Record<string, unknown> | undefined): Record<string, unknown> => {
      const at = pair.indexOf("=");
      if (at <= 0) throw new InvalidArgumentError(`expected ${KEY_VALUE}, got '${pair}'`);
      const text = pair.slice(at + 1);
      let value: unknown = text;
      try {
        value = JSON.parse(text);
      } catch {
        // A plain string.
      }
      return { ...previous, [pair.slice(0, at)]: value };
    })
    .default({} as Record<string, unknown>);
  shapes.set(option, KEY_VALUE);
  return option;
}
