/**
 * The LLM choice a NATS run records for its workers (docs/cluster.md, "The run's LLM travels with the
 * run"): each row of the table (a URL, pool options, the driver's OPENAI_BASE_URL, registered
 * endpoints, the simulator with the run's settings, the workers' own choice, a client object), keys
 * and URL credentials never in the record, and how a worker turns the record back into pool options
 * with keys from its own environment.
 */
import { describe, expect, it } from "vitest";
import { ConfigError } from "../../sdk/errors.js";
import { LlmSelectionSchema } from "../../sdk/schema/llm-selection.js";
import {
  describeLlmSelection,
  llmOptionFor,
  registeredLlmOption,
  selectRunLlm,
} from "../../sdk/pipeline/llm-selection.js";

const noEnv = {};
const none = async () => 0;

describe("selectRunLlm: what a NATS run records", () => {
  it("a base URL: that endpoint, without the credentials it held (said in a note)", async () => {
    const { selection, notes } = await selectRunLlm({
      llm: "http://alice:s3cret@gpu1:8000/v1/",
      model: "Qwen/Qwen3-8B",
      env: noEnv,
    });
    expect(selection).toEqual({
      kind: "endpoints",
      endpoints: [{ baseUrl: "http://gpu1:8000/v1" }],
      defaultModel: "Qwen/Qwen3-8B",
    });
    expect(JSON.stringify(selection)).not.toMatch(/alice|s3cret/);
    expect(notes.join("\n")).toMatch(/credentials in .* stay with the driver/);
    expect(notes.join("\n")).not.toContain("s3cret");
    expect(LlmSelectionSchema.parse(selection)).toEqual(selection);
  });

  it("pool options: URLs, key variables, limits and retry travel; keys, headers and the cache stay", async () => {
    const { selection, notes } = await selectRunLlm({
      llm: {
        endpoints: [
          { baseUrl: "http://gpu1:8000/v1", apiKey: "sk-driver-only", maxConcurrent: 8, models: ["m"] },
          { baseUrl: "http://gpu2:8000/v1", apiKeyEnv: "GPU2_KEY", headers: { "x-secret": "h" } },
        ],
        retry: { maxAttempts: 4 },
        cacheDir: "/tmp/cache",
        defaultModel: "m",
      },
      env: noEnv,
    });
    expect(selection).toEqual({
      kind: "endpoints",
      endpoints: [
        { baseUrl: "http://gpu1:8000/v1", maxConcurrent: 8, models: ["m"] },
        { baseUrl: "http://gpu2:8000/v1", apiKeyEnv: "GPU2_KEY" },
      ],
      defaultModel: "m",
      retry: { maxAttempts: 4 },
    });
    const text = JSON.stringify(selection);
    for (const secret of ["sk-driver-only", "x-secret", "/tmp/cache"]) expect(text).not.toContain(secret);
    expect(notes).toEqual([
      expect.stringContaining("endpoints[0].apiKey stays with the driver"),
      expect.stringContaining("endpoints[1].headers stay with the driver"),
      expect.stringContaining("cacheDir"),
    ]);
  });

  it("nothing given: the driver's OPENAI_BASE_URL(S) and OPENAI_MODEL, never its OPENAI_API_KEY", async () => {
    const { selection } = await selectRunLlm({
      llm: undefined,
      env: { OPENAI_BASE_URLS: "http://a:1/v1, http://b:2/v1", OPENAI_API_KEY: "sk-env", OPENAI_MODEL: "env-model" },
      registeredEndpoints: async () => {
        throw new Error("not asked: the environment chose");
      },
    });
    expect(selection).toEqual({
      kind: "endpoints",
      endpoints: [{ baseUrl: "http://a:1/v1" }, { baseUrl: "http://b:2/v1" }],
      defaultModel: "env-model",
    });
    expect(JSON.stringify(selection)).not.toContain("sk-env");
  });

  it("nothing given and no environment: the registered endpoints if any, else the simulator with the run's settings", async () => {
    expect((await selectRunLlm({ llm: undefined, env: noEnv, registeredEndpoints: async () => 2 })).selection).toEqual({
      kind: "registered",
    });
    expect(
      (await selectRunLlm({ llm: undefined, env: noEnv, registeredEndpoints: none, simulator: { speed: 20, seed: 3 } }))
        .selection,
    ).toEqual({ kind: "simulator", settings: { speed: 20, seed: 3 } });
  });

  it("the words: workers, registered, simulator (even with OPENAI_BASE_URL set); a client object stays in the driver", async () => {
    const env = { OPENAI_BASE_URL: "http://env:1/v1" };
    expect((await selectRunLlm({ llm: "workers", model: "m", env })).selection).toEqual({
      kind: "workers",
      defaultModel: "m",
    });
    expect((await selectRunLlm({ llm: "registered", env })).selection).toEqual({ kind: "registered" });
    expect((await selectRunLlm({ llm: "simulator", env, simulator: { profile: "p" } })).selection).toEqual({
      kind: "simulator",
      settings: { profile: "p" },
    });
    const client = { chat: async () => ({}) } as never;
    expect((await selectRunLlm({ llm: client, env })).selection).toEqual({ kind: "driver" });
  });

  it("a string that is neither a URL nor a word is a ConfigError naming the choices", async () => {
    const error = await selectRunLlm({ llm: "gpu1", env: noEnv }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/'workers', 'registered', 'simulator'/);
  });
});

describe("a worker opening the run's choice", () => {
  it("keys come from the worker's environment: the endpoint's variable, else OPENAI_API_KEY; unset variables are named", () => {
    const selected = llmOptionFor(
      {
        kind: "endpoints",
        endpoints: [
          { baseUrl: "http://gpu1:8000/v1", apiKeyEnv: "GPU1_KEY" },
          { baseUrl: "http://gpu2:8000/v1", apiKeyEnv: "GPU2_KEY" },
          { baseUrl: "http://gpu3:8000/v1" },
        ],
        defaultModel: "m",
      },
      { GPU1_KEY: "k1", OPENAI_API_KEY: "k-default" },
    );
    expect(selected.option).toEqual({
      endpoints: [
        { baseUrl: "http://gpu1:8000/v1", apiKey: "k1" },
        { baseUrl: "http://gpu2:8000/v1", apiKey: "k-default" },
        { baseUrl: "http://gpu3:8000/v1", apiKey: "k-default" },
      ],
    });
    expect(selected.model).toBe("m");
    expect(selected.missingKeys).toEqual(["GPU2_KEY"]);
  });

  it("a simulator run opens the simulator with the run's settings; registered endpoints get OPENAI_API_KEY", () => {
    expect(llmOptionFor({ kind: "simulator", settings: { speed: 5 } }, noEnv)).toEqual({
      option: "simulator",
      model: undefined,
      simulator: { speed: 5 },
      missingKeys: [],
    });
    expect(
      registeredLlmOption(
        [{ url: "http://gpu1:8000/v1", model: "served" }, { url: "http://gpu2:8000/v1" }],
        undefined,
        {
          OPENAI_API_KEY: "k",
        },
      ),
    ).toEqual({
      option: {
        endpoints: [
          { baseUrl: "http://gpu1:8000/v1", apiKey: "k", models: ["served"] },
          { baseUrl: "http://gpu2:8000/v1", apiKey: "k" },
        ],
      },
      model: "served",
    });
  });
});

describe("describeLlmSelection: the line the driver prints", () => {
  it("names the URLs and key variables, the simulator's settings, and the endpoints registered now", () => {
    expect(
      describeLlmSelection({
        kind: "endpoints",
        endpoints: [{ baseUrl: "http://gpu1:8000/v1", apiKeyEnv: "GPU_KEY" }],
        defaultModel: "Qwen/Qwen3-8B",
      }),
    ).toBe("http://gpu1:8000/v1, model Qwen/Qwen3-8B (keys from each worker's GPU_KEY)");
    expect(describeLlmSelection({ kind: "simulator", settings: { speed: 7 } })).toMatch(
      /^the built-in simulator, one in each worker \(profile .*, speed 7, model .+\)$/,
    );
    expect(describeLlmSelection({ kind: "registered" }, ["http://127.0.0.1:9000/v1"])).toBe(
      "the endpoints registered on NATS (matrix endpoint register): http://127.0.0.1:9000/v1 (keys from each worker's OPENAI_API_KEY)",
    );
    expect(describeLlmSelection({ kind: "registered" }, [])).toContain("none is registered now");
  });
});
