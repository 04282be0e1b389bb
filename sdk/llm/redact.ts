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

export { redactSecrets } from "../secrets.js";
