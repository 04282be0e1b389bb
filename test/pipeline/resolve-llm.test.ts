import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../sdk/errors.js";
import { startSimulator } from "../../sdk/llm/simulator/index.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";

const chat = pipeline("llm-check").chat("a", { prompt: "Say hi to {{row.id}}.", maxTokens: 8 });

describe("choosing the LLM for a run", () => {
  it("fails at once, saying why, when the endpoint is unreachable", async () => {
    // A port that was just free: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const started = Date.now();
    const error = await chat
      .run({ source: [{ id: "x" }], llm: `http://127.0.0.1:${port}/v1` })
      .done()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(
      `no LLM endpoint is usable (http://127.0.0.1:${port}/v1: unreachable (ECONNREFUSED))`,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("says a key was refused without showing the key", async () => {
    const server = createServer((_request, response) => {
      response.writeHead(401, { "content-type": "application/json" });
      response.end('{"error":{"message":"bad key"}}');
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
    try {
      const error = await chat
        .run({ source: [{ id: "x" }], llm: { endpoints: [{ baseUrl: url, apiKey: "sk-very-secret-123" }] } })
        .done()
        .catch((e: unknown) => e);
      expect((error as Error).message).toContain("refused the API key (HTTP 401)");
      expect(JSON.stringify(error) + String((error as Error).stack)).not.toContain("sk-very-secret-123");
    } finally {
      server.close();
    }
  });

  it("uses the model the server lists when none is named", async () => {
    const simulator = await startSimulator({ profile: "tiny-test", speed: 20, modelName: "served-model-7b" });
    try {
      const run = chat.run({ source: [{ id: "x" }], llm: simulator.baseUrl });
      expect((await run.done()).counts.done).toBe(1);
      expect(run.results()[0]!.history[0]!.model).toBe("served-model-7b");
    } finally {
      await simulator.close();
    }
  });
});
