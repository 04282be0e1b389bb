/**
 * The simulator's HTTP server: OpenAI-compatible routes over plain `node:http`, wired to the scheduler.
 *
 * Where you are: `llm/simulator/`. This file owns the wire format (JSON bodies, SSE chunks, error bodies,
 * what each fault looks like); the reply content comes from reply-plan.ts and the timing from
 * scheduler.ts. Per-request state is one `ActiveRequest` plus Node's own request/response objects, so
 * ten thousand open requests fit in a few hundred MB.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Logger } from "pino";
import { drawFault, parseFaultHeader, type FaultKind } from "./faults.js";
import { SimulatorMetrics } from "./metrics.js";
import {
  capacityTokensPerSecond,
  resolveSimulatorConfig,
  type SimulatorConfig,
  type SimulatorOptions,
} from "./profiles.js";
import { Random } from "./random.js";
import { planChatReply, planCompletionReply, renderReply, renderTokens, type ReplyPlan } from "./reply-plan.js";
import {
  ChatCompletionRequestSchema,
  CompletionRequestSchema,
  errorBody,
  validationErrorBody,
  type OpenAiErrorBody,
} from "./request-schema.js";
import { Scheduler, Sequence, type SchedulerStats, type SequenceListener } from "./scheduler.js";
import { WordStream } from "./text-generator.js";

export interface StartSimulatorOptions extends SimulatorOptions {
  /** Port to listen on; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to bind. @default "127.0.0.1" */
  host?: string;
  /** A pino logger; the server logs through a child of it. @default no logging */
  logger?: Logger;
}

export interface SimulatorStats extends SchedulerStats {
  /** Requests received on the two generation routes (including faulted and invalid ones). */
  requests: number;
  /** Requests answered in full. */
  completed: number;
  /** Generation requests whose response is still open (running, waiting, hanging). */
  openRequests: number;
  /** This process's CPU time and memory, for cost-per-token figures. */
  cpuUserMicros: number;
  cpuSystemMicros: number;
  rssBytes: number;
}

export interface SimulatorHandle {
  /** The OpenAI base URL, e.g. `http://127.0.0.1:41234/v1`. */
  baseUrl: string;
  port: number;
  host: string;
  config: SimulatorConfig;
  /** Generated tokens per real second at saturation (see `capacityTokensPerSecond`). */
  capacityTokensPerSecond: number;
  stats(): SimulatorStats;
  /** Stops the step loop and closes every connection (hanging ones included). Safe to call twice. */
  close(): Promise<void>;
}

/** Largest request body accepted; a prompt bigger than this is a client bug, not a workload. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

/**
 * Starts the built-in OpenAI-compatible simulator.
 *
 * @example
 * const sim = await startSimulator({ profile: "tiny-test", speed: 100 });
 * const client = new OpenAI({ baseURL: sim.baseUrl, apiKey: "sim" });
 * await sim.close();
 */
export async function startSimulator(options: StartSimulatorOptions = {}): Promise<SimulatorHandle> {
  const { port = 0, host = "127.0.0.1", logger, ...knobs } = options;
  const config = resolveSimulatorConfig(knobs);
  const log = logger?.child({ component: "llm-simulator" });
  const scheduler = new Scheduler(config);
  const metrics = new SimulatorMetrics(config.modelName);
  // Faults are drawn from a server-wide stream: a retried request may succeed, as with a real server.
  const faultRandom = new Random(config.seed ^ 0x5bd1e995);
  const counters = { requests: 0, completed: 0, open: 0, ids: 0 };
  const context: ServerContext = { config, scheduler, metrics, faultRandom, counters, log };

  const server = createServer((request, response) => {
    route(context, request, response).catch((error: unknown) => {
      log?.error({ err: error }, "simulator request failed");
      if (!response.headersSent) sendJson(response, 500, errorBody("Internal simulator error.", "server_error"));
      else response.destroy();
    });
  });
  // Long generations and hung requests must not be cut by Node's defaults; only header reading is timed.
  server.requestTimeout = 0;
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 70_000;
  server.maxConnections = 1_000_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host, backlog: 4096 }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === "IPv6" ? `[${address.address}]` : address.address;
  log?.info({ port: address.port, profile: config.profile, speed: config.speed }, "simulator listening");

  let closing: Promise<void> | undefined;
  return {
    baseUrl: `http://${urlHost}:${address.port}/v1`,
    port: address.port,
    host: address.address,
    config,
    capacityTokensPerSecond: capacityTokensPerSecond(config),
    stats: () => statsOf(context),
    close() {
      closing ??= new Promise<void>((resolve) => {
        scheduler.stop();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

interface ServerContext {
  config: SimulatorConfig;
  scheduler: Scheduler;
  metrics: SimulatorMetrics;
  faultRandom: Random;
  counters: { requests: number; completed: number; open: number; ids: number };
  log: Logger | undefined;
}

function statsOf(context: ServerContext): SimulatorStats {
  const cpu = process.cpuUsage();
  return {
    ...context.scheduler.stats(),
    requests: context.counters.requests,
    completed: context.counters.completed,
    openRequests: context.counters.open,
    cpuUserMicros: cpu.user,
    cpuSystemMicros: cpu.system,
    rssBytes: process.memoryUsage.rss(),
  };
}

async function route(context: ServerContext, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const path = (request.url ?? "/").split("?")[0]!.replace(/\/+$/, "") || "/";
  const { config } = context;
  const get = request.method === "GET" || request.method === "HEAD";
  if (path === "/health" && get) return sendJson(response, 200, { status: "ok" });
  if (path === "/v1/models" && get) {
    return sendJson(response, 200, {
      object: "list",
      data: [{ id: config.modelName, object: "model", created: 0, owned_by: "matrix-simulator" }],
    });
  }
  if (path === "/metrics" && get) {
    const stats = context.scheduler.stats();
    const text = context.metrics.render({ ...stats, kvCapacityTokens: config.kvCapacityTokens });
    response.writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" });
    response.end(text);
    return;
  }
  if (path === "/sim/config" && get) {
    return sendJson(response, 200, { ...config, capacityTokensPerSecond: capacityTokensPerSecond(config) });
  }
  if (path === "/sim/stats" && get) return sendJson(response, 200, statsOf(context));
  if (path === "/v1/chat/completions" || path === "/v1/completions") {
    if (request.method !== "POST") {
      return sendJson(
        response,
        405,
        errorBody(`Use POST for ${path}.`, "invalid_request_error", null, "method_not_allowed"),
      );
    }
    return generate(context, request, response, path === "/v1/chat/completions" ? "chat" : "completion");
  }
  sendJson(
    response,
    404,
    errorBody(`Unknown route ${request.method} ${path}.`, "invalid_request_error", null, "not_found"),
  );
}

async function generate(
  context: ServerContext,
  request: IncomingMessage,
  response: ServerResponse,
  kind: "chat" | "completion",
): Promise<void> {
  const { config, metrics } = context;
  context.counters.requests++;
  const reject = (status: number, body: OpenAiErrorBody) => {
    metrics.invalidRequests++;
    sendJson(response, status, body);
  };

  const raw = await readBody(request);
  if (raw === undefined) {
    return reject(
      413,
      errorBody(`Request body exceeds ${MAX_BODY_BYTES} bytes.`, "invalid_request_error", null, "body_too_large"),
    );
  }
  const header = parseFaultHeader(request.headers["x-sim-fault"]);
  if (typeof header === "object") {
    return reject(
      400,
      errorBody(`Unknown x-sim-fault '${header.invalid}'.`, "invalid_request_error", "x-sim-fault", "invalid_value"),
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return reject(
      400,
      errorBody(`Invalid JSON body: ${(error as Error).message}`, "invalid_request_error", null, "invalid_json"),
    );
  }
  const parsed = (kind === "chat" ? ChatCompletionRequestSchema : CompletionRequestSchema).safeParse(json);
  if (!parsed.success) return reject(400, validationErrorBody(parsed.error));
  const body = parsed.data;
  if (config.strictModel && body.model !== config.modelName) {
    return reject(
      404,
      errorBody(`The model '${body.model}' does not exist.`, "invalid_request_error", "model", "model_not_found"),
    );
  }

  const fault: FaultKind | undefined =
    header === "none" ? undefined : (header ?? drawFault(config.faults, context.faultRandom));
  if (fault) metrics.countFault(fault);
  switch (fault) {
    case "rate-limit":
      response.setHeader("retry-after", String(config.retryAfterSeconds));
      return sendJson(
        response,
        429,
        errorBody("Rate limit reached (simulated).", "rate_limit_error", null, "rate_limit_exceeded"),
      );
    case "server-error":
      return sendJson(response, 500, errorBody("The server had an error (simulated).", "server_error"));
    case "drop-connection":
      request.socket.destroy();
      return;
    case "hang":
      // Nothing is ever written; the response ends when the client aborts or the server closes.
      context.counters.open++;
      response.once("close", () => context.counters.open--);
      return;
  }

  const plan =
    kind === "chat"
      ? planChatReply(parsed.data as never, config, fault === "malformed-json")
      : planCompletionReply(parsed.data as never, config);
  const active = new ActiveRequest(context, response, plan, {
    kind,
    model: body.model,
    stream: body.stream === true,
    includeUsage: body.stream_options?.include_usage === true,
    truncate: fault === "truncated-stream",
  });
  active.start();
}

interface ReplyOptions {
  kind: "chat" | "completion";
  model: string;
  stream: boolean;
  includeUsage: boolean;
  truncate: boolean;
}

/** One generation in flight: renders the scheduler's tokens onto the HTTP response. */
class ActiveRequest implements SequenceListener {
  private readonly sequence: Sequence;
  private readonly id: string;
  private readonly created = Math.floor(Date.now() / 1000);
  private words: WordStream | undefined;
  private emitted = 0;
  private ended = false;

  constructor(
    private readonly context: ServerContext,
    private readonly response: ServerResponse,
    private readonly plan: ReplyPlan,
    private readonly options: ReplyOptions,
  ) {
    this.sequence = new Sequence(plan.promptTokens, plan.outputTokens, this);
    const serial = (++context.counters.ids).toString(36).padStart(6, "0");
    this.id = `${options.kind === "chat" ? "chatcmpl" : "cmpl"}-sim${serial}`;
  }

  start(): void {
    const { context, response } = this;
    context.counters.open++;
    response.once("close", () => {
      context.counters.open--;
      if (!this.ended) {
        // The client went away (abort, timeout): free the slot like vLLM aborts the sequence.
        this.ended = true;
        context.scheduler.cancel(this.sequence);
        context.metrics.finished.set("abort", (context.metrics.finished.get("abort") ?? 0) + 1);
      }
    });
    if (this.options.stream) {
      // Headers go out at once, as vLLM does; the client's time to first token is then the first chunk.
      response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
      response.flushHeaders();
    }
    context.scheduler.submit(this.sequence);
  }

  onTokens(sequence: Sequence): void {
    if (!this.options.stream || this.ended) return;
    const truncateAt = this.options.truncate ? Math.max(1, Math.floor(this.plan.outputTokens / 2)) : Infinity;
    const upTo = Math.min(sequence.generated, truncateAt);
    if (upTo > this.emitted) this.writeChunk(this.renderNext(upTo), null);
    if (sequence.generated >= truncateAt) this.cut();
  }

  onDone(sequence: Sequence): void {
    if (this.ended) return;
    const { context, plan, options } = this;
    const speed = context.config.speed;
    context.metrics.observeRequest(
      plan.finishReason,
      (sequence.firstTokenAt - sequence.arrivedAt) / speed,
      (sequence.finishedAt - sequence.arrivedAt) / speed,
      plan.outputTokens,
    );
    if (options.truncate && !options.stream) {
      // A non-streamed reply cut half-way: the body stops mid-JSON and the connection drops.
      const text = JSON.stringify(this.wholeBody());
      this.response.writeHead(200, { "content-type": "application/json" });
      this.response.write(text.slice(0, Math.floor(text.length / 2)));
      return this.cut();
    }
    this.ended = true;
    context.counters.completed++;
    if (!options.stream) return sendJson(this.response, 200, this.wholeBody());
    this.writeChunk("", plan.finishReason);
    if (options.includeUsage) this.writeSse({ ...this.chunkHead(), choices: [], usage: this.usage() });
    this.response.end("data: [DONE]\n\n");
  }

  /** Ends the response without `[DONE]`, mid-event, and drops the socket so the client sees an error. */
  private cut(): void {
    this.ended = true;
    this.context.scheduler.cancel(this.sequence);
    // Destroy only once what was written is flushed, so the client reads the partial reply first.
    this.response.write('data: {"id":"', () => this.response.destroy());
  }

  private renderNext(upTo: number): string {
    this.words ??= new WordStream(this.plan.wordSeed);
    const text = renderTokens(this.plan, this.words, this.emitted, upTo);
    this.emitted = upTo;
    return text;
  }

  private usage() {
    const { promptTokens, outputTokens } = this.plan;
    return { prompt_tokens: promptTokens, completion_tokens: outputTokens, total_tokens: promptTokens + outputTokens };
  }

  private chunkHead() {
    const object = this.options.kind === "chat" ? "chat.completion.chunk" : "text_completion";
    return { id: this.id, object, created: this.created, model: this.options.model };
  }

  private writeChunk(text: string, finishReason: string | null): void {
    const { plan, options } = this;
    const usage = options.includeUsage ? { usage: null } : {};
    if (options.kind === "completion") {
      this.writeSse({
        ...this.chunkHead(),
        choices: [{ index: 0, text, logprobs: null, finish_reason: finishReason }],
        ...usage,
      });
      return;
    }
    const first = this.emitted > 0 && !this.sentRole;
    let delta: Record<string, unknown>;
    if (finishReason !== null) delta = {};
    else if (plan.toolCall) {
      const call = first
        ? { index: 0, id: plan.toolCall.id, type: "function", function: { name: plan.toolCall.name, arguments: text } }
        : { index: 0, function: { arguments: text } };
      delta = first ? { role: "assistant", content: null, tool_calls: [call] } : { tool_calls: [call] };
    } else delta = first ? { role: "assistant", content: text } : { content: text };
    if (first) this.sentRole = true;
    this.writeSse({
      ...this.chunkHead(),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...usage,
    });
  }

  private sentRole = false;

  private writeSse(payload: unknown): void {
    this.response.write(`data: ${JSON.stringify(payload)}\n\n`);
  }

  private wholeBody(): Record<string, unknown> {
    const { plan, options } = this;
    const text = renderReply(plan);
    const head = { id: this.id, created: this.created, model: options.model, system_fingerprint: "matrix-sim" };
    if (options.kind === "completion") {
      return {
        ...head,
        object: "text_completion",
        choices: [{ index: 0, text, logprobs: null, finish_reason: plan.finishReason }],
        usage: this.usage(),
      };
    }
    const message = plan.toolCall
      ? {
          role: "assistant",
          content: null,
          refusal: null,
          tool_calls: [
            { id: plan.toolCall.id, type: "function", function: { name: plan.toolCall.name, arguments: text } },
          ],
        }
      : { role: "assistant", content: text, refusal: null };
    return {
      ...head,
      object: "chat.completion",
      choices: [{ index: 0, message, logprobs: null, finish_reason: plan.finishReason }],
      usage: this.usage(),
    };
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

/** The body as text, or undefined when it exceeds `MAX_BODY_BYTES`. */
function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on("end", () => resolve(size > MAX_BODY_BYTES ? undefined : Buffer.concat(chunks).toString("utf8")));
    request.on("error", reject);
  });
}
