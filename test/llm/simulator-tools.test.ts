/**
 * Simulated tool use: arguments grounded in the conversation (ids the user gave, values a tool
 * returned), and simulated users that reveal their scenario and end with a stop token.
 */
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { validateJsonSchema } from "../../sdk/llm/json-schema-validator.js";
import { startSimulator, type SimulatorHandle } from "../../sdk/llm/simulator/index.js";
import { conversationValues, namePairs } from "../../sdk/llm/simulator/conversation-values.js";
import { Random } from "../../sdk/llm/simulator/random.js";
import { exampleShape, sampleToolArguments } from "../../sdk/llm/simulator/tool-arguments.js";

const schema = (shape: z.ZodRawShape) => z.toJSONSchema(z.object(shape)) as Record<string, unknown>;
const orderId = z.string().describe("The order id, such as '#W0000000'.");

describe("grounded tool arguments", () => {
  const messages = [
    { role: "system" as const, content: "You are a retail agent." },
    { role: "user" as const, content: "Hi, I am Yusuf Rossi, zip 19122, my order is #W2378156." },
    {
      role: "assistant" as const,
      content: null,
      tool_calls: [{ id: "c1", function: { name: "find", arguments: '{"zip":"19122"}' } }],
    },
    {
      role: "tool" as const,
      tool_call_id: "c1",
      content: JSON.stringify({
        user_id: "yusuf_rossi_9620",
        email: "yusuf.rossi7301@example.com",
        payment_methods: { credit_card_9513926: { source: "credit_card" } },
        orders: ["#W6247578", "#W2378156"],
      }),
    },
  ];
  const values = conversationValues(messages);

  it("finds ids, emails, names and the keys tool results file them under", () => {
    expect(values).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ value: "#W2378156" }),
        expect.objectContaining({ value: "19122" }),
        expect.objectContaining({ value: "Yusuf", key: "first_name" }),
        expect.objectContaining({ value: "Rossi", key: "last_name" }),
        expect.objectContaining({ value: "yusuf_rossi_9620", key: "user_id" }),
        expect.objectContaining({ value: "credit_card_9513926", key: "payment_methods" }),
      ]),
    );
    expect(namePairs("Hello. Please call Jane Doe.")).toEqual([["Jane", "Doe"]]);
    expect(exampleShape("The order id, such as '#W0000000'.")!.test("#W2378156")).toBe(true);
    expect(exampleShape("such as '6086499569'")!.test("19122")).toBe(false);
  });

  it("fills each argument with the value that fits it, valid against the schema", () => {
    const parameters = schema({
      order_id: orderId,
      user_id: z.string(),
      payment_method_id: z.string(),
      email: z.string(),
      first_name: z.string(),
      last_name: z.string(),
      zip: z.string(),
      item_ids: z.array(z.string()).describe("The item ids, each such as '1008292230'."),
      reason: z.enum(["no longer needed", "ordered by mistake"]),
    });
    for (let seed = 0; seed < 10; seed++) {
      const args = sampleToolArguments(parameters, values, new Random(seed));
      expect(validateJsonSchema(parameters, args)).toEqual([]);
      expect(["#W2378156", "#W6247578"]).toContain(args.order_id);
      expect(args.user_id).toBe("yusuf_rossi_9620");
      expect(args.payment_method_id).toBe("credit_card_9513926");
      expect(args.email).toBe("yusuf.rossi7301@example.com");
      expect([args.first_name, args.last_name, args.zip]).toEqual(["Yusuf", "Rossi", "19122"]);
      expect(["no longer needed", "ordered by mistake"]).toContain(args.reason);
    }
  });

  it("uses a conversation value only within the argument's limits (pattern, length, item count)", () => {
    const strict = schema({
      order_id: z
        .string()
        .regex(/^#W\d{7}$/)
        .describe("The order id, such as '#W0000000'."),
      user_id: z.string().min(30),
      zip: z.string().max(3),
      payment_method_id: z.string().regex(/^gift_card_\d{7}$/),
      item_ids: z.array(z.string().regex(/^\d{10}$/)).max(1),
    });
    const said = conversationValues([
      {
        role: "user",
        content: "I am Yusuf Rossi, zip 19122, order #W23781, user yusuf_rossi_9620, items 1008292230 and 1008292231",
      },
    ]);
    for (let seed = 0; seed < 20; seed++) {
      const args = sampleToolArguments(strict, said, new Random(seed));
      expect(validateJsonSchema(strict, args), JSON.stringify(args)).toEqual([]);
      // The short order id and the long zip break their limits: never used. The item ids fit: used, one.
      expect(args.order_id).not.toBe("#W23781");
      expect(args.zip).not.toBe("19122");
      expect(args.item_ids).toHaveLength(1);
      expect(["1008292230", "1008292231"]).toContain((args.item_ids as string[])[0]);
    }
    // A value that meets the limits is still preferred to a sample.
    const fitting = conversationValues([{ role: "user", content: "My order is #W2378156." }]);
    expect(sampleToolArguments(strict, fitting, new Random(1)).order_id).toBe("#W2378156");
  });

  it("samples from the schema when nothing in the conversation fits", () => {
    const parameters = schema({ title: z.string().min(3), count: z.number().int().min(1).max(3) });
    const args = sampleToolArguments(parameters, [], new Random(1));
    expect(validateJsonSchema(parameters, args)).toEqual([]);
  });
});

describe("the simulator with tools and scenarios over HTTP", () => {
  let sim: SimulatorHandle;
  let client: OpenAI;
  beforeAll(async () => {
    sim = await startSimulator({ profile: "tiny-test", speed: 500, toolCallRate: 1 });
    client = new OpenAI({ baseURL: sim.baseUrl, apiKey: "none", maxRetries: 0 });
  });
  afterAll(() => sim.close());

  it("calls a lookup with the id the user gave", async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: "function", function: { name: "get_order_details", parameters: schema({ order_id: orderId }) } },
    ];
    const reply = await client.chat.completions.create({
      model: "m",
      tools,
      messages: [{ role: "user", content: "Where is my order #W2378156?" }],
    });
    const call = reply.choices[0]!.message.tool_calls![0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(JSON.parse(call.function.arguments)).toEqual({ order_id: "#W2378156" });
  });

  it("a simulated user reveals its scenario bit by bit and ends with a stop token", async () => {
    const system =
      "You are Yusuf Rossi in zip code 19122 and want to return order #W2378156. When done, say ###STOP###; if transferred, ###TRANSFER###.";
    const conversation: OpenAI.ChatCompletionMessageParam[] = [{ role: "system", content: system }];
    const said: string[] = [];
    for (let turn = 0; turn < 12; turn++) {
      conversation.push({ role: "user", content: "How can I help you?" });
      const reply = await client.chat.completions.create({ model: "m", seed: 3, messages: conversation });
      const text = reply.choices[0]!.message.content!;
      said.push(text);
      conversation.push({ role: "assistant", content: text });
      if (/###(STOP|TRANSFER)###/.test(text)) break;
    }
    // The facts come in the order the scenario gives them, none twice, and the user hangs up.
    expect(said[0]).toContain("Yusuf Rossi");
    expect(said.at(-1)).toMatch(/###(STOP|TRANSFER)###$/);
    const all = said.join(" ");
    for (const fact of ["Yusuf Rossi", "19122", "#W2378156"]) expect(all.split(fact)).toHaveLength(2);
    expect(all.indexOf("19122")).toBeLessThan(all.indexOf("#W2378156"));
  });
});
