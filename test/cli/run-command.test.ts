import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNats } from "../../sdk/bus/nats/connect-nats.js";
import { listRuns } from "../../sdk/bus/nats/run-registry.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { TaskSchema, type Task } from "../../sdk/schema/task.js";
import { readJsonl } from "../helpers/jsonl.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";
import { tempDir } from "../helpers/temp-dir.js";

function matrix(args: string[], env: NodeJS.ProcessEnv = {}) {
  // Without OPENAI_BASE_URL the CLI starts the built-in simulator: the run is offline.
  const { OPENAI_BASE_URL: _url, OPENAI_BASE_URLS: _urls, ...rest } = process.env;
  return spawnSync(process.execPath, ["bin/matrix.js", ...args], {
    encoding: "utf8",
    env: { ...rest, ...env },
    timeout: 90_000,
  });
}

describe("matrix run", () => {
  it("runs the quickstart recipe offline: 120 conversations, progress on stderr, summary on stdout", () => {
    const out = tempDir();
    const result = matrix(["run", "quickstart", "--out", out]);
    expect(result.status, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.counts.done).toBe(120);
    expect(summary.tokens.byRole.teacher.completion).toBeGreaterThan(0);
    expect(result.stderr).toContain("[quickstart] 120 finished");
    const rows = readJsonl<Task>(join(out, "output.jsonl"));
    expect(rows).toHaveLength(120);
    for (const row of rows) {
      expect(TaskSchema.safeParse(row).success).toBe(true);
      expect(["agreement", "max-turns"]).toContain(row.reason);
      expect(row.history.filter((turn) => turn.role === "teacher").length).toBeGreaterThan(0);
    }
    // The simulator's tendency to adopt a stated answer makes some conversations converge early.
    expect(rows.some((row) => row.reason === "agreement")).toBe(true);
  });

  it("runs a pipeline from a JSON file with --rows, then resumes it", () => {
    const dir = tempDir();
    const source = join(dir, "rows.jsonl");
    writeFileSync(source, Array.from({ length: 30 }, (_, i) => JSON.stringify({ id: `r${i}`, n: i })).join("\n"));
    const file = join(dir, "p.json");
    const definition = pipeline("from-file")
      .source(source)
      .code("double", (task) => ({ state: { twice: (task.row!.n as number) * 2 } }))
      .toJSON();
    writeFileSync(file, JSON.stringify(definition));
    const out = join(dir, "out");
    const first = matrix(["run", file, "--out", out, "--rows", "10", "--quiet"]);
    expect(first.status, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout).counts.done).toBe(10);
    const second = matrix(["run", file, "--out", out, "--resume", "--quiet"]);
    expect(second.status, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ skipped: 10, counts: { done: 20 } });
    const rows = readJsonl<Task>(join(out, "output.jsonl"));
    expect(rows.map((row) => row.id).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `r${i}`).sort());
    expect(rows.every((row) => row.state.twice === (row.row!.n as number) * 2)).toBe(true);
  });

  it("explains what is wrong: unknown recipe, bad flag value, invalid pipeline file", () => {
    const unknown = matrix(["run", "no-such-recipe"]);
    expect(unknown.status).toBe(1);
    expect(unknown.stderr).toContain("'no-such-recipe' is neither a recipe (quickstart");
    // A bad flag value is a usage error (exit 2); a runtime failure is exit 1 with the named error.
    const badFlag = matrix(["run", "quickstart", "--rows", "many"]);
    expect(badFlag.status).toBe(2);
    expect(badFlag.stderr).toContain("--rows: expected a whole number, 1 or more, got 'many'");
    const dir = tempDir();
    const file = join(dir, "bad.json");
    writeFileSync(
      file,
      JSON.stringify({
        format: "matrix-pipeline/1",
        name: "bad",
        params: {},
        roles: { a: { kind: "code" } },
        options: {},
      }),
    );
    const invalid = matrix(["run", file]);
    expect(invalid.status).toBe(1);
    expect(invalid.stderr).toContain(`PipelineDefinitionError: ${file}: Invalid pipeline at roles.a.fn`);
    expect(matrix(["nonsense"]).status).toBe(2);
  });
});

describeWithNats("matrix run --offload-threshold", () => {
  let server: NatsServerHandle;
  beforeAll(async () => {
    server = await startNatsServer();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it("records the driver's threshold in the run for its workers; without --bus nats it is a usage error", async () => {
    const local = matrix(["run", "quickstart", "--rows", "2", "--offload-threshold", "0"]);
    expect(local.status).toBe(2);
    expect(local.stderr).toContain("--offload-threshold: offloading is for runs on NATS: add --bus nats");
    const dir = tempDir();
    const file = join(dir, "p.json");
    writeFileSync(
      file,
      JSON.stringify(
        pipeline("offload-flag")
          .source([{ id: "a" }, { id: "b" }])
          .code("a", () => ({ content: "x" }))
          .toJSON(),
      ),
    );
    // Detached and with no worker, the run stays registered after the driver exits: its record can be read.
    const run = matrix([
      "run",
      file,
      "--bus",
      "nats",
      "--nats",
      server.url,
      "--detach",
      "--offload-threshold",
      "0",
      "--out",
      join(dir, "out"),
    ]);
    expect(run.status, run.stderr).toBe(0);
    const nc = await connectNats({ servers: [server.url] });
    try {
      const records = await listRuns(nc);
      expect(records.map((record) => [record.definition.name, record.bus.offloadThreshold])).toEqual([
        ["offload-flag", 0],
      ]);
    } finally {
      await nc.close();
    }
  }, 180_000);
});
