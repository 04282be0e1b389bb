/**
 * The simulator's OpenAI surface, driven by the official `openai` client: replies, structured output,
 * tools, answer heuristics, determinism, endpoints, faults and bad requests.
 * Timing of the latency model is in simulator-latency.test.ts.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { MatrixError } from "../../sdk/errors.js";
import {
  parseSimulatorArgs,
  runSimulatorCli,
  startSimulator,
  type SimulatorHandle,
} from "../../sdk/llm/simulator/index.js";

let sim: SimulatorHandle;
let client: OpenAI;
const root = () => sim.baseUrl.replace(/\/v1$/, "");

beforeAll(async () => {
  sim = await startSimulator({ profile: "tiny-test", speed: 200, retryAfterSeconds: 2 });
  client = new OpenAI({ baseURL: sim.baseUrl, apiKey: "sim", maxRetries: 0, timeout: 20_000 });
});
afterAll(async () => {
  await sim.close();
});

const user = (content: string) => [{ role: "user" as const, content }];

describe("chat completions", () => {
  it("answers a plain chat with text whose word count is the reported completion tokens", async () => {
    const reply = await client.chat.completions.create({ model: "any", messages: user("Tell me about rivers.") });
    const text = reply.choices[0]!.message.content!;
    expect(text.length).toBeGreaterThan(0);
    expect(reply.choices[0]!.finish_reason).toBe("stop");
    expect(reply.object).toBe("chat.completion");
    expect(reply.model).toBe("any");
    expect(reply.usage!.completion_tokens).toBe(text.split(" ").length);
    expect(reply.usage!.prompt_tokens).toBe(Math.ceil("Tell me about rivers.".length / 4) + 4);
    expect(reply.usage!.total_tokens).toBe(reply.usage!.prompt_tokens + reply.usage!.completion_tokens);
  });

  it("streams the same text as the non-streamed reply, with usage as the final chunk", async () => {
    const messages = user("Describe a harbor at dawn.");
    const whole = await client.chat.completions.create({ model: "m", messages, seed: 7 });
    const stream = await client.chat.completions.create({
      model: "m",
      messages,
      seed: 7,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: string | null = null;
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) {
      chunks.push(chunk);
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(text).toBe(whole.choices[0]!.message.content);
    expect(finish).toBe("stop");
    const last = chunks[chunks.length - 1]!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toEqual(whole.usage);
    expect(chunks[0]!.choices[0]!.delta.role).toBe("assistant");
  });

  it("returns JSON conforming to a json_schema response format", async () => {
    const Answer = z.object({
      name: z.string(),
      score: z.number().min(0).max(10),
      count: z.number().int().min(1).max(5),
      ok: z.boolean(),
      tags: z.array(z.string()).min(2),
      level: z.enum(["low", "mid", "high"]),
      kind: z.literal("review"),
      note: z.union([z.string(), z.number()]).optional(),
      nested: z.object({ id: z.number().int() }),
    });
    const schema = z.toJSONSchema(Answer) as Record<string, unknown>;
    for (let seed = 0; seed < 10; seed++) {
      const reply = await client.chat.completions.create({
        model: "m",
        seed,
        messages: user("Review this product."),
        response_format: { type: "json_schema", json_schema: { name: "answer", schema } },
      });
      const data = Answer.parse(JSON.parse(reply.choices[0]!.message.content!));
      expect(data.kind).toBe("review");
      expect(reply.choices[0]!.finish_reason).toBe("stop");
    }
  });

  it("returns a JSON object for json_object", async () => {
    const reply = await client.chat.completions.create({
      model: "m",
      messages: user("Reply in JSON."),
      response_format: { type: "json_object" },
    });
    expect(typeof JSON.parse(reply.choices[0]!.message.content!)).toBe("object");
  });

  const weatherArgs = z.object({ city: z.string(), days: z.number().int().min(1).max(7).optional() });
  const tools: OpenAI.ChatCompletionTool[] = [
    {
      type: "function",
      function: {
        name: "get_weather",
        parameters: z.toJSONSchema(weatherArgs) as Record<string, unknown>,
      },
    },
    { type: "function", function: { name: "get_time", parameters: { type: "object", properties: {} } } },
  ];

  it("calls a named tool with arguments that match its schema", async () => {
    for (let seed = 0; seed < 5; seed++) {
      const reply = await client.chat.completions.create({
        model: "m",
        seed,
        messages: user("What is the weather in Paris?"),
        tools,
        tool_choice: { type: "function", function: { name: "get_weather" } },
      });
      const choice = reply.choices[0]!;
      expect(choice.finish_reason).toBe("tool_calls");
      const call = choice.message.tool_calls![0]! as OpenAI.ChatCompletionMessageFunctionToolCall;
      expect(call.type).toBe("function");
      expect(call.id).toMatch(/^call_/);
      expect(call.function.name).toBe("get_weather");
      weatherArgs.parse(JSON.parse(call.function.arguments));
    }
  });

  it("streams tool calls the client can assemble, and sometimes answers in text under tool_choice auto", async () => {
    const stream = await client.chat.completions.create({
      model: "m",
      messages: user("Weather in Rome?"),
      tools,
      tool_choice: "required",
      stream: true,
    });
    let args = "";
    let name = "";
    let finish: string | null = null;
    for await (const chunk of stream) {
      const call = chunk.choices[0]?.delta.tool_calls?.[0];
      if (call?.function?.name) name = call.function.name;
      args += call?.function?.arguments ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(["get_weather", "get_time"]).toContain(name);
    expect(typeof JSON.parse(args)).toBe("object");
    expect(finish).toBe("tool_calls");

    const reasons = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const reply = await client.chat.completions.create({ model: "m", seed, messages: user("Anything?"), tools });
      reasons.add(reply.choices[0]!.finish_reason);
    }
    expect(reasons).toEqual(new Set(["stop", "tool_calls"]));
  });

  it("after tool results calls again less and less often, so an answer in text comes", async () => {
    const rounds = (k: number): OpenAI.ChatCompletionMessageParam[] => [
      { role: "user", content: "Weather?" },
      ...Array.from({ length: k }, (_, i): OpenAI.ChatCompletionMessageParam[] => [
        {
          role: "assistant",
          content: null,
          tool_calls: [{ id: `c${i}`, type: "function", function: { name: "get_time", arguments: "{}" } }],
        },
        { role: "tool", tool_call_id: `c${i}`, content: "12:00" },
      ]).flat(),
    ];
    const callRate = async (k: number) => {
      let calls = 0;
      for (let seed = 0; seed < 40; seed++) {
        const reply = await client.chat.completions.create({ model: "m", seed, tools, messages: rounds(k) });
        if (reply.choices[0]!.finish_reason === "tool_calls") calls++;
      }
      return calls / 40;
    };
    const [none, one, four] = [await callRate(0), await callRate(1), await callRate(4)];
    // Expected 0.5, 0.3 and 0.065 (toolCallRate 0.5 × 0.6^k).
    expect(none).toBeGreaterThan(one);
    expect(one).toBeGreaterThan(0);
    expect(four).toBeLessThan(0.2);
  });

  const question = (index: number) =>
    `Question ${index}: which planet is largest?\n(A) Mars\n(B) Jupiter\n(C) Venus\n(D) Earth\nThink, then answer.`;

  it("answers lettered options with 'The correct answer is (X)'", async () => {
    const formats = [
      "Pick one.\nA) red\nB) blue\nC) green",
      "Pick one.\nA. red\nB. blue\nC. green",
      "Pick one: (A) red (B) blue (C) green",
    ];
    for (const prompt of formats) {
      const reply = await client.chat.completions.create({ model: "m", messages: user(prompt) });
      expect(reply.choices[0]!.message.content).toMatch(/The correct answer is \([ABC]\)\.$/);
    }
  });

  it("adopts the answer stated earlier in the chat at about adoptRate", async () => {
    let adopted = 0;
    const total = 60;
    for (let index = 0; index < total; index++) {
      const reply = await client.chat.completions.create({
        model: "m",
        messages: [
          { role: "user", content: question(index) },
          { role: "assistant", content: "I think the correct answer is (C)." },
          { role: "user", content: `Your peer said: The correct answer is (C). Reconsider.\n${question(index)}` },
        ],
      });
      const letter = /The correct answer is \(([A-D])\)/.exec(reply.choices[0]!.message.content!)![1];
      if (letter === "C") adopted++;
    }
    // adoptRate 0.6 plus a quarter of the rest by chance: about 0.7 expected.
    expect(adopted / total).toBeGreaterThan(0.45);
    expect(adopted / total).toBeLessThan(0.92);
  });

  it("always adopts with adoptRate 1 and lets two agents converge", async () => {
    const stubborn = await startSimulator({ profile: "tiny-test", speed: 200, adoptRate: 1 });
    try {
      const other = new OpenAI({ baseURL: stubborn.baseUrl, apiKey: "sim", maxRetries: 0 });
      const reply = await other.chat.completions.create({
        model: "m",
        messages: [
          { role: "user", content: question(1) },
          { role: "assistant", content: "The correct answer is (D)." },
          { role: "user", content: "Are you sure? " + question(1) },
        ],
      });
      expect(reply.choices[0]!.message.content).toMatch(/The correct answer is \(D\)\.$/);
    } finally {
      await stubborn.close();
    }
  });

  it("answers yes/no questions with Yes or No, both occurring", async () => {
    const answers = new Set<string>();
    const prompts = [
      "Is the sky blue?",
      "Answer Yes or No: the earth is flat.",
      "Context here. Does it rain in Spain?",
    ];
    for (let index = 0; index < 24; index++) {
      const reply = await client.chat.completions.create({
        model: "m",
        seed: index,
        messages: user(prompts[index % prompts.length]!),
      });
      answers.add(reply.choices[0]!.message.content!);
    }
    expect(answers).toEqual(new Set(["Yes", "No"]));
    const open = await client.chat.completions.create({ model: "m", messages: user("What is the sky made of?") });
    expect(open.choices[0]!.message.content).not.toMatch(/^(Yes|No)$/);
  });

  it("is deterministic for the same seed and request, and varies with the seed", async () => {
    const request = { model: "m", messages: user("Write a line about stones."), seed: 42 };
    const first = await client.chat.completions.create(request);
    const second = await client.chat.completions.create(request);
    expect(second.choices[0]!.message.content).toBe(first.choices[0]!.message.content);
    const other = await client.chat.completions.create({ ...request, seed: 43 });
    expect(other.choices[0]!.message.content).not.toBe(first.choices[0]!.message.content);
  });

  it("stops at max_tokens with finish_reason length", async () => {
    const reply = await client.chat.completions.create({ model: "m", messages: user("Go on."), max_tokens: 5 });
    expect(reply.choices[0]!.finish_reason).toBe("length");
    expect(reply.usage!.completion_tokens).toBe(5);
    expect(reply.choices[0]!.message.content!.split(" ")).toHaveLength(5);
    const modern = await client.chat.completions.create({
      model: "m",
      messages: user("Go."),
      max_completion_tokens: 3,
    });
    expect(modern.usage!.completion_tokens).toBe(3);
  });
});

describe("other endpoints", () => {
  it("serves /v1/completions, streamed and not", async () => {
    const reply = await client.completions.create({ model: "m", prompt: "Once upon a time", max_tokens: 8 });
    expect(reply.object).toBe("text_completion");
    expect(reply.choices[0]!.text.split(" ")).toHaveLength(8);
    expect(reply.usage).toEqual({ prompt_tokens: 4, completion_tokens: 8, total_tokens: 12 });
    const stream = await client.completions.create({
      model: "m",
      prompt: "Once upon a time",
      max_tokens: 8,
      stream: true,
    });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? "";
    expect(text).toBe(reply.choices[0]!.text);
  });

  it("lists the model", async () => {
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(["sim-tiny"]);
  });

  it("answers /health", async () => {
    const response = await fetch(`${root()}/health`);
    expect(response.status).toBe(200);
  });

  it("exposes vLLM-named Prometheus metrics", async () => {
    await client.chat.completions.create({ model: "m", messages: user("Count me.") });
    const text = await (await fetch(`${root()}/metrics`)).text();
    for (const name of [
      "vllm:num_requests_running",
      "vllm:num_requests_waiting",
      "vllm:prompt_tokens_total",
      "vllm:generation_tokens_total",
      "vllm:time_to_first_token_seconds_bucket",
      "vllm:time_per_output_token_seconds_bucket",
      "vllm:e2e_request_latency_seconds_count",
    ]) {
      expect(text).toContain(`${name}{model_name="sim-tiny"`);
    }
    const generated = Number(/vllm:generation_tokens_total\{[^}]*\} (\d+)/.exec(text)![1]);
    expect(generated).toBeGreaterThan(0);
    expect(generated).toBe(sim.stats().generatedTokens);
  });

  it("reports the effective configuration with capacityTokensPerSecond", async () => {
    const config = (await (await fetch(`${root()}/sim/config`)).json()) as Record<string, number>;
    expect(config.maxNumSeqs).toBe(4);
    expect(config.speed).toBe(200);
    expect(config.retryAfterSeconds).toBe(2);
    // tiny-test: 4 / (10 ms + 2 ms * 4) * 1000 * 200
    expect(config.capacityTokensPerSecond).toBeCloseTo((4 / 18) * 1000 * 200, 6);
    expect(sim.capacityTokensPerSecond).toBeCloseTo(config.capacityTokensPerSecond!, 6);
  });
});

describe("faults", () => {
  const withFault = (fault: string) => ({ headers: { "x-sim-fault": fault } });
  const chat = { model: "m", messages: user("Hello") };

  it("429 carries retry-after visible to the client", async () => {
    const error = await client.chat.completions.create(chat, withFault("429")).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers.get("retry-after")).toBe("2");
  });

  it("500 is a server error", async () => {
    const error = await client.chat.completions.create(chat, withFault("500")).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
  });

  it("malformed JSON breaks a structured reply", async () => {
    const reply = await client.chat.completions.create(
      { ...chat, response_format: { type: "json_object" } },
      withFault("malformed-json"),
    );
    expect(() => JSON.parse(reply.choices[0]!.message.content!)).toThrow();
    const tool = await client.chat.completions.create(
      {
        ...chat,
        tools: [
          {
            type: "function",
            function: {
              name: "f",
              parameters: { type: "object", properties: { a: { type: "string" } }, required: ["a"] },
            },
          },
        ],
        tool_choice: "required",
      },
      withFault("malformed"),
    );
    const call = tool.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(() => JSON.parse(call.function.arguments)).toThrow();
  });

  it("a truncated stream makes the client fail after some content", async () => {
    const stream = await client.chat.completions.create(
      { ...chat, stream: true, max_tokens: 40, stream_options: { include_usage: true } },
      withFault("truncated-stream"),
    );
    let text = "";
    const iterate = async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    };
    await expect(iterate()).rejects.toThrow();
    expect(text.length).toBeGreaterThan(0);
    const whole = client.chat.completions.create(chat, withFault("truncated"));
    await expect(whole).rejects.toThrow();
  });

  it("a dropped connection is a connection error", async () => {
    const error = await client.chat.completions.create(chat, withFault("drop")).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
  });

  it("a hung request is ended by the client's timeout", async () => {
    const started = Date.now();
    const error = await client.chat.completions
      .create(chat, { ...withFault("hang"), timeout: 300 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    // The server is still healthy afterwards.
    const reply = await client.chat.completions.create(chat);
    expect(reply.choices[0]!.finish_reason).toBe("stop");
  });

  it("draws faults from configured rates, and x-sim-fault: none suppresses them", async () => {
    const faulty = await startSimulator({ profile: "tiny-test", speed: 200, faults: { serverError: 1 } });
    try {
      const other = new OpenAI({ baseURL: faulty.baseUrl, apiKey: "sim", maxRetries: 0 });
      await expect(other.chat.completions.create(chat)).rejects.toBeInstanceOf(OpenAI.InternalServerError);
      const reply = await other.chat.completions.create(chat, withFault("none"));
      expect(reply.choices[0]!.finish_reason).toBe("stop");
      const metrics = await (await fetch(`${faulty.baseUrl.replace(/\/v1$/, "")}/metrics`)).text();
      expect(metrics).toContain('sim:faults_injected_total{model_name="sim-tiny",kind="server-error"} 1');
    } finally {
      await faulty.close();
    }
  });
});

describe("bad requests", () => {
  const post = (body: string, headers: Record<string, string> = {}, path = "/chat/completions") =>
    fetch(`${sim.baseUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
  const expectError = async (response: Response, status: number, param: string | null) => {
    expect(response.status).toBe(status);
    const body = (await response.json()) as { error: { message: string; type: string; param: string | null } };
    expect(body.error.type).toBe("invalid_request_error");
    expect(body.error.param).toBe(param);
    expect(body.error.message.length).toBeGreaterThan(0);
  };

  it("rejects invalid JSON, missing or wrong fields with OpenAI-style 400s", async () => {
    await expectError(await post("{not json"), 400, null);
    await expectError(await post(JSON.stringify({ model: "m" })), 400, "messages");
    await expectError(await post(JSON.stringify({ model: "m", messages: [] })), 400, "messages");
    await expectError(
      await post(JSON.stringify({ model: "m", messages: [{ role: "robot", content: "x" }] })),
      400,
      "messages.0.role",
    );
    await expectError(
      await post(JSON.stringify({ model: "m", messages: user("x"), max_tokens: "ten" })),
      400,
      "max_tokens",
    );
    await expectError(await post(JSON.stringify({ messages: user("x") })), 400, "model");
    await expectError(await post(JSON.stringify({ model: "m", prompt: 3 }), {}, "/completions"), 400, "prompt");
    await expectError(
      await post(JSON.stringify({ model: "m", messages: user("x") }), { "x-sim-fault": "meteor" }),
      400,
      "x-sim-fault",
    );
    await expectError(await post("[]"), 400, null);
  });

  it("the official client surfaces a 400 as BadRequestError", async () => {
    const error = await client.chat.completions
      .create({ model: "m", messages: user("x"), temperature: 9 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).param).toBe("temperature");
  });

  it("rejects an unknown model when strictModel is on, and unknown routes with 404", async () => {
    const strict = await startSimulator({ profile: "tiny-test", speed: 200, strictModel: true });
    try {
      const other = new OpenAI({ baseURL: strict.baseUrl, apiKey: "sim", maxRetries: 0 });
      const error = await other.chat.completions
        .create({ model: "gpt-9", messages: user("x") })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(OpenAI.NotFoundError);
      expect((error as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");
      const ok = await other.chat.completions.create({ model: "sim-tiny", messages: user("x") });
      expect(ok.choices[0]!.finish_reason).toBe("stop");
    } finally {
      await strict.close();
    }
    await expectError(await fetch(`${sim.baseUrl}/embeddings`), 404, null);
    expect((await fetch(`${sim.baseUrl}/chat/completions`)).status).toBe(405);
    // Still serving after all that.
    expect((await fetch(`${root()}/health`)).status).toBe(200);
  });
});

describe("cli entry", () => {
  it("prints the base URL when ready and stops on abort", async () => {
    const controller = new AbortController();
    let printed = "";
    const ready = new Promise<void>((resolve) => {
      void runSimulatorCli(
        ["--profile", "tiny-test", "--speed", "100", "--max-num-seqs", "2", "--fault-rate-limit", "0"],
        {
          stdout: { write: (text: string) => (printed += text) },
          signal: controller.signal,
          onReady: () => resolve(),
        },
      ).then(() => (printed += "stopped\n"));
    });
    await ready;
    const url = printed.trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const config = (await (await fetch(`${url.replace(/\/v1$/, "")}/sim/config`)).json()) as Record<string, number>;
    expect(config.maxNumSeqs).toBe(2);
    controller.abort();
    await expect.poll(() => printed.endsWith("stopped\n")).toBe(true);
    await expect(fetch(`${url.replace(/\/v1$/, "")}/health`)).rejects.toThrow();
  });

  it("rejects unknown flags and profiles with a named error", () => {
    expect(() => parseSimulatorArgs(["--warp", "9"])).toThrow(MatrixError);
    expect(() => parseSimulatorArgs(["--speed", "fast"])).toThrow(/speed/);
    expect(parseSimulatorArgs(["--port=8001", "--strict-model", "--fault-hang", "0.1"])).toMatchObject({
      port: 8001,
      strictModel: true,
      faults: { hang: 0.1 },
    });
    return expect(startSimulator({ profile: "gpt-17" })).rejects.toThrow(/unknown simulator profile/);
  });
});
