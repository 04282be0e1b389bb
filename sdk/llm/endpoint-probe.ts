/**
 * Asks each endpoint for `GET /models` before a run starts, so a wrong URL, a refused key or a server
 * that is down fails the run at once with a clear error instead of dead-lettering every row after
 * minutes of retries. The models it lists also give a default model when none was named.
 *
 * Where you are: `llm/`. Endpoints are shown by `endpointLabel` only: keys never reach a message.
 */
import { endpointLabel } from "./redact.js";

export interface EndpointProbe {
  label: string;
  /** The server answered and accepted the key (a 404 for /models still counts: not every server lists models). */
  ok: boolean;
  models: string[];
  /** Why it is not usable. */
  problem?: string;
}

export async function probeEndpoint(
  endpoint: { baseUrl: string; apiKey?: string },
  timeoutMs = 5000,
): Promise<EndpointProbe> {
  const label = endpointLabel(endpoint.baseUrl);
  try {
    const response = await fetch(`${endpoint.baseUrl.replace(/\/+$/, "")}/models`, {
      headers: endpoint.apiKey ? { authorization: `Bearer ${endpoint.apiKey}` } : {},
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (response.status === 401 || response.status === 403) {
      return { label, ok: false, models: [], problem: `refused the API key (HTTP ${response.status})` };
    }
    if (!response.ok)
      return {
        label,
        ok: response.status === 404,
        models: [],
        problem: `GET /models answered HTTP ${response.status}`,
      };
    const body = (await response.json().catch(() => ({}))) as { data?: Array<{ id?: unknown }> };
    const models = (body.data ?? []).map((model) => model.id).filter((id): id is string => typeof id === "string");
    return { label, ok: true, models };
  } catch (error) {
    const inner = (error as { cause?: { code?: string; message?: string } }).cause;
    const cause = inner?.code ?? inner?.message ?? (error as Error).message;
    return {
      label,
      ok: false,
      models: [],
      problem: cause === "TimeoutError" ? `no answer within ${timeoutMs} ms` : `unreachable (${cause})`,
    };
  }
}

export function probeEndpoints(
  endpoints: ReadonlyArray<{ baseUrl: string; apiKey?: string }>,
  timeoutMs?: number,
): Promise<EndpointProbe[]> {
  return Promise.all(endpoints.map((endpoint) => probeEndpoint(endpoint, timeoutMs)));
}
