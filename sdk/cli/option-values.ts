/**
 * Typed, range-checked option values for the `matrix` command tree: whole-number counts with a
 * minimum, positive decimals, ports, probabilities. A bad value is a usage error (exit 2) whose line
 * says what the flag expects.
 *
 * Where you are: `cli/`, cheap to load (commander only): program.ts builds every option with these.
 * Each numeric option is remembered with its kind so the usage-error test can find every one in the
 * tree: counts get a negative, a fractional, a non-numeric (and, where 0 is refused, a zero) value;
 * the other numbers a non-numeric one, and a negative where they must be positive.
 */
import { InvalidArgumentError, Option } from "@commander-js/extra-typings";

/** What a numeric option accepts: a whole number from `min` (a count or a port), or a decimal. */
export type NumericKind = { kind: "count"; min: number } | { kind: "port" } | { kind: "positive" | "number" };

const numeric = new WeakMap<object, NumericKind>();

/** The kind of a numeric option made here, or undefined for any other option. */
export function numericKind(option: object): NumericKind | undefined {
  return numeric.get(option);
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

/** `--flag <x>`: a finite number above 0 (a speed factor). */
export function positiveNumberOption<Flags extends string>(flags: Flags, description: string) {
  const option = new Option(flags, description).argParser((value: string): number => {
    const number = Number(value);
    if (value.trim() === "" || !Number.isFinite(number) || number <= 0)
      throw new InvalidArgumentError(`expected a number above 0, got '${value}'`);
    return number;
  });
  return remember(option, { kind: "positive" });
}

/** `--flag <x>`: any finite number (a simulator knob, a rate); the SDK checks its own ranges. */
export function numberOption<Flags extends string>(flags: Flags, description: string) {
  const option = new Option(flags, description).argParser((value: string): number => {
    const number = Number(value);
    if (value.trim() === "" || !Number.isFinite(number))
      throw new InvalidArgumentError(`expected a number, got '${value}'`);
    return number;
  });
  return remember(option, { kind: "number" });
}

/**
 * `--option <key=value>`, repeatable: recipe options collected into one object. A value that parses
 * as JSON (a number, true, a list) is that value; anything else is a string (a name, a path).
 */
export function keyValueOption<Flags extends string>(flags: Flags, description: string) {
  return new Option(flags, description)
    .argParser((pair: string, previous: Record<string, unknown> | undefined): Record<string, unknown> => {
      const at = pair.indexOf("=");
      if (at <= 0) throw new InvalidArgumentError(`expected key=value, got '${pair}'`);
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
}
