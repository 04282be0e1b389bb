/**
 * Secrets the process knows (LLM API keys, NATS passwords and tokens) and how to take them out of any
 * text: the logger scrubs every line with `scrub`, the LLM pool its error messages with `redactSecrets`.
 *
 * Where you are: the SDK root, beside errors.ts and logger.ts; it imports nothing. Whoever reads a
 * credential calls `registerSecret` with it, so a key that turns up in an error message, a server's
 * reply or a user's exception is still never logged.
 */

const secrets = new Set<string>();

/** Remembers `value` as a secret for `scrub` (values shorter than 4 characters are ignored). */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 4) secrets.add(value);
}

/** `text` with every registered secret replaced by `***`. */
export function scrub(text: string): string {
  return secrets.size === 0 ? text : redactSecrets(text, secrets);
}

/** Replaces every secret (and any long prefix of it a server may echo, e.g. `sk-abc1****`) with `***`. */
export function redactSecrets(text: string, secrets: Iterable<string>): string {
  let result = text;
  for (const secret of secrets) {
    if (!secret || secret.length < 4) continue;
    result = result.split(secret).join("***");
    // Servers often echo a truncated key ("Incorrect API key provided: sk-proj-abcd****wxyz").
    if (secret.length >= 12) {
      const head = secret.slice(0, Math.max(8, Math.floor(secret.length / 2)));
      const tail = secret.slice(-4);
      result = result.split(head).join("***");
      result = result.replace(new RegExp(`\\*{2,}${escapeRegExp(tail)}`, "g"), "***");
    }
  }
  return result;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
