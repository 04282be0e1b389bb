/**
 * Keeps credentials out of everything the pool shows: endpoint labels, error messages, logs and stats.
 *
 * Where you are: `llm/`. Every string that leaves the pool and may contain server text passes through
 * `redactSecrets`; every endpoint is shown by `endpointLabel`, never by its raw URL.
 */

/** The base URL without user info, query or fragment (a key may hide in `https://user:key@host` or `?key=`). */
export function endpointLabel(baseUrl: string): string {
  try {
    const url = new URL(baseUrl);
    url.username = "";
    url.password = "";
    url.search = "";
    url.hash = "";
    return url.toString().replace(/\/$/, "");
  } catch {
    return "<invalid url>";
  }
}

/** Replaces every secret (and any long prefix of it a server may echo, e.g. `sk-abc1****`) with `***`. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
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
