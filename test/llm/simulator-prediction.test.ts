/** The simulator answers a request that carries a predicted output (OpenAI's `prediction`) with it. */
import OpenAI from "openai";
import { afterAll, beforeAll, expect, it } from "vitest";
import { startSimulator } from "../../sdk/llm/simulator/index.js";

let sim: Awaited<ReturnType<typeof startSimulator>>;
let client: OpenAI;
beforeAll(async () => {
  sim = await startSimulator({ profile: "tiny-test", speed: 200 });
  client = new OpenAI({ baseURL: sim.baseUrl, apiKey: "sim", maxRetries: 0 });
});
afterAll(() => sim.close());

const code = "```python\ndef f(x):\n    return {'a': [x, 2]}\n```";

it("replies with the predicted content, whole or streamed, with usage that counts it", async () => {
  const request = { model: "m", messages: [{ role: "user" as const, content: "Write f." }] };
  const whole = await client.chat.completions.create({ ...request, prediction: { type: "content", content: code } });
  expect(whole.choices[0]!.message.content).toBe(code);
  expect(whole.usage!.completion_tokens).toBe(Math.ceil(code.length / 4));
  const stream = await client.chat.completions.create({
    ...request,
    prediction: { type: "content", content: [{ type: "text", text: code }] },
    stream: true,
  });
  let text = "";
  for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
  expect(text).toBe(code);
  const capped = await client.chat.completions.create({
    ...request,
    prediction: { type: "content", content: code },
    max_tokens: 3,
  });
  expect(capped.choices[0]!.finish_reason).toBe("length");
  expect(capped.choices[0]!.message.content).toBe(code.slice(0, 12));
});

it("refuses a malformed prediction with the field named", async () => {
  await expect(
    client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "x" }],
      prediction: { type: "content", content: 5 as never },
    }),
  ).rejects.toThrow(/prediction/);
});
