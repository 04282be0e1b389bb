/**
 * A tiny scripted OpenAI-compatible server on loopback for the pool's unit tests: each request is answered
 * by a handler (ok with content / tool calls / usage, an HTTP error with headers, a delay, a hang, a
 * garbage body), streamed as SSE when the request asks for it. It records what it saw (bodies, headers,
 * arrival times, the peak number of requests in flight).
 *
 * Where you are: `test/llm/`, a test helper (not the product's simulator in `sdk/llm/simulator/`).
 */
import { createServer, type IncomingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeRequest {
  body: Record<string, any>;
  headers: IncomingHttpHeaders;
  /** `Date.now()` when the request arrived. */
  at: number;
}

export type FakeReply =
  | {
      kind?: "ok";
      content?: string | null;
      toolCalls?: { id: string; name: string; arguments: string }[];
      usage?: { prompt_tokens: number; completion_tokens: number };
      finishReason?: string;
      delayMs?: number;
      model?: string;
    }
  | { kind: "error"; status: number; headers?: Record<string, string>; message?: string; delayMs?: number }
  | { kind: "hang" }
  /** Sends the 200 headers and part of the body, then nothing more. */
  | { kind: "stall-body" }
  | { kind: "garbage" };

export type FakeHandler = (request: FakeRequest, index: number) => FakeReply | Promise<FakeReply>;

export interface FakeServer {
  baseUrl: string;
  requests: FakeRequest[];
  inFlight: number;
  maxInFlight: number;
  setHandler(handler: FakeHandler): void;
  close(): Promise<void>;
}

const defaultHandler: FakeHandler = (request) => {
  const last = request.body.messages?.at(-1);
  return { content: `echo: ${typeof last?.content === "string" ? last.content : ""}` };
};

export async function startFakeServer(handler: FakeHandler = defaultHandler): Promise<FakeServer> {
  let current = handler;
  const state = {
    requests: [] as FakeRequest[],
    inFlight: 0,
    maxInFlight: 0,
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", async () => {
      state.inFlight++;
      state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
      let finished = false;
      const done = () => {
        if (!finished) {
          finished = true;
          state.inFlight--;
        }
      };
      res.on("close", done);
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString("utf8") || "{}");
        const request: FakeRequest = { body, headers: req.headers, at: Date.now() };
        const index = state.requests.push(request) - 1;
        const reply = await current(request, index);
        await respond(res, body, reply);
      } catch (error) {
        if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { message: String(error) } }));
      } finally {
        if (res.writableEnded) done();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    get requests() {
      return state.requests;
    },
    get inFlight() {
      return state.inFlight;
    },
    get maxInFlight() {
      return state.maxInFlight;
    },
    setHandler(next) {
      current = next;
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function respond(res: ServerResponse, body: Record<string, any>, reply: FakeReply): Promise<void> {
  if (reply.kind === "hang") return; // never answers; the client's timeout must fire
  if (reply.kind === "stall-body") {
    // The headers arrive (so a timeout that ends with them is not enough), the body never ends.
    res.writeHead(200, { "content-type": "application/json" });
    res.write('{"id": "chatcmpl-fake", "choices": [');
    return;
  }
  if (reply.kind === "garbage") {
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{not json at all");
    return;
  }
  if ("delayMs" in reply && reply.delayMs) await sleep(reply.delayMs);
  if (res.destroyed) return;
  if (reply.kind === "error") {
    res.writeHead(reply.status, { "content-type": "application/json", ...(reply.headers ?? {}) });
    res.end(JSON.stringify({ error: { message: reply.message ?? `fake error ${reply.status}`, type: "fake" } }));
    return;
  }
  const model = reply.model ?? body.model ?? "fake-model";
  const usage = reply.usage ?? { prompt_tokens: 10, completion_tokens: 5 };
  const toolCalls = (reply.toolCalls ?? []).map((call) => ({
    id: call.id,
    type: "function",
    function: { name: call.name, arguments: call.arguments },
  }));
  const content = reply.content === undefined ? "ok" : reply.content;
  const finishReason = reply.finishReason ?? (toolCalls.length > 0 ? "tool_calls" : "stop");
  if (!body.stream) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        id: "chatcmpl-fake",
        object: "chat.completion",
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [
          {
            index: 0,
            message: { role: "assistant", content, ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}) },
            finish_reason: finishReason,
          },
        ],
        usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
      }),
    );
    return;
  }
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  const send = (chunk: unknown) => res.write(`data: ${JSON.stringify(chunk)}\n\n`);
  const base = { id: "chatcmpl-fake", object: "chat.completion.chunk", created: 0, model };
  send({ ...base, choices: [{ index: 0, delta: { role: "assistant" }, finish_reason: null }] });
  if (content) {
    for (let i = 0; i < content.length; i += 3) {
      send({ ...base, choices: [{ index: 0, delta: { content: content.slice(i, i + 3) }, finish_reason: null }] });
      await sleep(2);
    }
  }
  toolCalls.forEach((call, index) => {
    const half = Math.ceil(call.function.arguments.length / 2);
    send({
      ...base,
      choices: [
        {
          index: 0,
          delta: {
            tool_calls: [
              { index, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } },
            ],
          },
          finish_reason: null,
        },
      ],
    });
    for (const part of [call.function.arguments.slice(0, half), call.function.arguments.slice(half)]) {
      send({
        ...base,
        choices: [{ index: 0, delta: { tool_calls: [{ index, function: { arguments: part } }] }, finish_reason: null }],
      });
    }
  });
  send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: finishReason }] });
  if (body.stream_options?.include_usage) send({ ...base, choices: [], usage });
  res.end("data: [DONE]\n\n");
}
