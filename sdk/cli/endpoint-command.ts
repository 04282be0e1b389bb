/**
 * `matrix endpoint register --url U [--model M] [--kind vllm] [--wait] [--keep]` and `matrix endpoint list`:
 * the endpoint registry on NATS, used by cluster recipes so inference servers announce themselves and
 * workers find them without configuration.
 *
 * Where you are: `cli/`. `--wait` polls the URL's /models until the server answers; `--keep` re-registers
 * every 20 s until SIGTERM (entries expire after 60 s, so a dead server drops out).
 */
import { parseArgs } from "node:util";
import { ConfigError } from "../errors.js";
import type { CliIo } from "./cli-io.js";
import { NATS_FLAG_HELP, NATS_FLAG_OPTIONS, natsFlags } from "./nats-flags.js";

const HELP = `Usage: matrix endpoint register --url URL [--model NAME] [--kind vllm|sglang|other] [--wait] [--keep]
       matrix endpoint list

  --url URL     the server's OpenAI-compatible base URL, e.g. http://10.0.0.5:8000/v1
  --wait        wait until URL/models answers before registering
  --keep        stay running and refresh the entry every 20 s (entries expire after 60 s)
${NATS_FLAG_HELP}`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitForServer(url: string, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      const response = await fetch(`${url.replace(/\/$/, "")}/models`, { signal: AbortSignal.timeout(5000) });
      if (response.ok) return;
    } catch {
      // not up yet
    }
    await sleep(2000);
  }
}

export async function command(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...NATS_FLAG_OPTIONS,
      url: { type: "string" },
      model: { type: "string" },
      kind: { type: "string" },
      wait: { type: "boolean" },
      keep: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  const action = positionals[0];
  if (values.help || (action !== "register" && action !== "list")) {
    (values.help ? io.stdout : io.stderr)(HELP);
    return values.help ? 0 : 2;
  }
  const { connectNats, natsConnectionOptions, registerEndpoint, listEndpoints } = await import("../bus/nats/index.js");
  const connection = await connectNats(natsConnectionOptions(natsFlags(values, "matrix-endpoint"), io.env));
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  try {
    if (action === "list") {
      for (const endpoint of await listEndpoints(connection))
        io.stdout(`${endpoint.url}\t${endpoint.model ?? "-"}\t${endpoint.kind ?? "-"}\n`);
      return 0;
    }
    if (!values.url) throw new ConfigError("--url", "the endpoint's base URL is required");
    if (values.wait) await waitForServer(values.url, stop.signal);
    const record = { url: values.url, model: values.model, kind: values.kind };
    do {
      await registerEndpoint(connection, record);
      io.stderr(`registered ${values.url}\n`);
      if (values.keep)
        await Promise.race([sleep(20_000), new Promise((r) => stop.signal.addEventListener("abort", r))]);
    } while (values.keep && !stop.signal.aborted);
    return 0;
  } finally {
    process.off("SIGTERM", onSignal);
    process.off("SIGINT", onSignal);
    await connection.close();
  }
}
