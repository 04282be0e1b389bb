/**
 * The few Python behaviours tau2-bench's tools depend on, so our tools give the same numbers and the
 * same text: `round(x, n)` (exact decimal value, ties to even), `str(float)`, `json.dumps` (its
 * separators, ASCII escapes, and `50.0` for a float field that holds a whole number), and the
 * arithmetic `calculate` evaluates.
 *
 * Where you are: `recipes/tau/`, part of the tau runtime that workers load as a module. Hand-written on
 * purpose: no npm package reproduces CPython's rounding and repr rules, and the arithmetic evaluator
 * replaces Python's `eval` (restricted to `0-9 + - * / ( ) .` and spaces) without evaluating JS.
 */

/** Python's `round(x, digits)`: rounds the double's exact decimal value, halves to even. */
export function pyRound(x: number, digits: number): number {
  if (!Number.isFinite(x)) return x;
  const exact = Math.abs(x).toFixed(Math.min(100, digits + 60));
  const point = exact.indexOf(".");
  const rest = exact.slice(point + 1 + digits);
  const fixed = Number(Math.abs(x).toFixed(digits));
  if (/^50*$/.test(rest)) {
    // An exact tie: toFixed rounded up; Python keeps the even neighbour.
    const kept = Number(exact.slice(0, point + 1 + digits));
    const lastDigit = Number(digits === 0 ? exact[point - 1] : exact[point + digits]);
    return Math.sign(x) * (lastDigit % 2 === 0 ? kept : fixed);
  }
  return Math.sign(x) * fixed || 0;
}

/** Python's `str(x)` / `repr(x)` for a float. */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  const abs = Math.abs(x);
  if (abs !== 0 && (abs >= 1e16 || abs < 1e-4)) {
    // Python: shortest digits in exponent form, at least two exponent digits (1e-05, 1.5e+16).
    const [mantissa, exponent] = x.toExponential().split("e") as [string, string];
    const sign = exponent.startsWith("-") ? "-" : "+";
    return `${mantissa}e${sign}${exponent.replace(/^[-+]/, "").padStart(2, "0")}`;
  }
  const text = String(x);
  return Number.isInteger(x) ? `${text}.0` : text;
}

function pyString(text: string): string {
  // json.dumps escapes like JSON.stringify, and (ensure_ascii) every non-ASCII character as \uXXXX.
  return JSON.stringify(text).replace(
    /[\u007f-\uffff]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}

/**
 * Python's `json.dumps(value)`: `", "` and `": "` separators, ASCII escapes, and numbers under a key
 * in `floatKeys` written as floats (`50.0`), because pydantic float fields stay floats in Python.
 */
export function pyJsonDumps(value: unknown, floatKeys: ReadonlySet<string> = new Set(), key?: string): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
    return key !== undefined && floatKeys.has(key) ? pyFloatRepr(value) : String(value);
  }
  if (typeof value === "string") return pyString(value);
  if (Array.isArray(value)) return `[${value.map((item) => pyJsonDumps(item, floatKeys, key)).join(", ")}]`;
  const entries = Object.entries(value as Record<string, unknown>).map(
    ([name, child]) => `${pyString(name)}: ${pyJsonDumps(child, floatKeys, name)}`,
  );
  return `{${entries.join(", ")}}`;
}

/** A Python exception as tau2 would report it (`Error: <message>`). */
export class PythonError extends Error {}

type Token = { kind: "number"; value: number; isFloat: boolean } | { kind: "op"; value: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < expression.length) {
    const char = expression[index]!;
    if (char === " ") {
      index++;
      continue;
    }
    const number = /^(\d+\.?\d*|\.\d+)/.exec(expression.slice(index));
    if (number) {
      const text = number[1]!;
      if (/^0\d/.test(text) && !text.includes(".")) {
        throw new PythonError(
          "leading zeros in decimal integer literals are not permitted; use an 0o prefix for octal integers (<string>, line 1)",
        );
      }
      tokens.push({ kind: "number", value: Number(text), isFloat: text.includes(".") });
      index += text.length;
      if (expression[index] === ".") throw new PythonError("invalid syntax (<string>, line 1)");
      continue;
    }
    const op = expression.startsWith("**", index) ? "**" : expression.startsWith("//", index) ? "//" : char;
    tokens.push({ kind: "op", value: op });
    index += op.length;
  }
  return tokens;
}

/**
 * Evaluates the arithmetic tau2's `calculate` accepts, with Python's rules: `/` true division, `//`
 * floor division, `**` power (right-associative, above unary minus on its left), `ZeroDivisionError`.
 */
export function evaluateArithmetic(expression: string): number {
  const tokens = tokenize(expression);
  let position = 0;
  const peek = () => tokens[position];
  const isOp = (value: string) => {
    const token = peek();
    return token?.kind === "op" && token.value === value;
  };
  const syntax = () => new PythonError(`invalid syntax (<string>, line 1)`);

  const atom = (): number => {
    const token = tokens[position++];
    if (!token) throw syntax();
    if (token.kind === "number") return token.value;
    if (token.value === "(") {
      if (isOp(")")) throw new PythonError("float() argument must be a string or a real number, not 'tuple'");
      const value = sum();
      if (!isOp(")")) throw new PythonError("'(' was never closed (<string>, line 1)");
      position++;
      return value;
    }
    throw syntax();
  };
  const power = (): number => {
    const base = atom();
    if (isOp("**")) {
      position++;
      const exponent = unary();
      if (base === 0 && exponent < 0) throw new PythonError("0.0 cannot be raised to a negative power");
      return base ** exponent;
    }
    return base;
  };
  const unary = (): number => {
    if (isOp("-")) {
      position++;
      return -unary();
    }
    if (isOp("+")) {
      position++;
      return unary();
    }
    return power();
  };
  const product = (): number => {
    let value = unary();
    while (isOp("*") || isOp("/") || isOp("//")) {
      const op = (tokens[position++] as { value: string }).value;
      const right = unary();
      if (op === "*") value *= right;
      else if (right === 0)
        throw new PythonError(op === "/" ? "division by zero" : "integer division or modulo by zero");
      else value = op === "/" ? value / right : Math.floor(value / right);
    }
    return value;
  };
  const sum = (): number => {
    let value = product();
    while (isOp("+") || isOp("-")) {
      const op = (tokens[position++] as { value: string }).value;
      const right = product();
      value = op === "+" ? value + right : value - right;
    }
    return value;
  };

  if (tokens.length === 0) throw new PythonError("invalid syntax (<string>, line 0)");
  const value = sum();
  if (position < tokens.length) {
    if (isOp(")")) throw new PythonError("unmatched ')' (<string>, line 1)");
    throw syntax();
  }
  return value;
}
