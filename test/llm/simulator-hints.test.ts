/**
 * The simulator's structured-output hints: an enum picks the value the prompt states (an extractor
 * copying the answer a reply gives), and a schema's `examples` are followed most of the time (so checks
 * on their form see both outcomes). Pure: plans replies without a server.
 */
import { describe, expect, it } from "vitest";
import { EXAMPLE_RATE } from "../../sdk/llm/simulator/json-schema-sample.js";
import { resolveSimulatorConfig } from "../../sdk/llm/simulator/profiles.js";
import { planChatReply, renderReply } from "../../sdk/llm/simulator/reply-plan.js";
import type { ChatCompletionRequest } from "../../sdk/llm/simulator/request-schema.js";

const config = resolveSimulatorConfig();
const reply = (body: Omit<ChatCompletionRequest, "model">): unknown =>
  JSON.parse(renderReply(planChatReply({ model: "m", ...body } as ChatCompletionRequest, config, false)));
const format = (schema: Record<string, unknown>) =>
  ({ type: "json_schema", json_schema: { name: "r", schema } }) as ChatCompletionRequest["response_format"];
const LETTERS = {
  type: "object",
  properties: { answer: { enum: ["A", "B", "C", "D", "none"] } },
  required: ["answer"],
};

describe("simulator structured-output hints", () => {
  it("an enum yields the answer the last user message states", () => {
    for (const letter of ["A", "B", "C", "D"]) {
      for (let seed = 0; seed < 10; seed++) {
        const content = `Question: which?\n(A) w\n(B) x\n(C) y\n(D) z\n\nReply:\nbecause ... The correct answer is (${letter}).`;
        expect(reply({ messages: [{ role: "user", content }], seed, response_format: format(LETTERS) })).toEqual({
          answer: letter,
        });
      }
    }
  });

  it("without a stated answer the enum is sampled, so every value turns up", () => {
    const seen = new Set<unknown>();
    for (let seed = 0; seed < 60; seed++) {
      const value = reply({
        messages: [{ role: "user", content: "Reply: I am not sure." }],
        seed,
        response_format: format(LETTERS),
      });
      seen.add((value as { answer: unknown }).answer);
    }
    expect(seen).toEqual(new Set(["A", "B", "C", "D", "none"]));
  });

  it("follows a schema's examples about EXAMPLE_RATE of the time and samples otherwise", () => {
    const schema = {
      type: "object",
      properties: { final: { type: "string", examples: ["So the answer is \\boxed{7}."] } },
      required: ["final"],
    };
    let followed = 0;
    const n = 400;
    for (let seed = 0; seed < n; seed++) {
      const value = reply({
        messages: [{ role: "user", content: `q${seed}` }],
        seed,
        response_format: format(schema),
      }) as { final: string };
      if (value.final === "So the answer is \\boxed{7}.") followed++;
    }
    expect(followed / n).toBeGreaterThan(EXAMPLE_RATE - 0.1);
    expect(followed / n).toBeLessThan(EXAMPLE_RATE + 0.1);
  });
});
