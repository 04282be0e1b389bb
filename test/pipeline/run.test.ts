import { writeFileSync } from "node:fs";
import { join } from "node:path";
import * as aq from "arquero";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { TaskSchema, type Task } from "../../sdk/schema/task.js";
import { FakeLlm } from "../helpers/fake-llm.js";
import { readJsonl } from "../helpers/jsonl.js";
import { tempDir } from "../helpers/temp-dir.js";

const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, n: i }));

const threeRoles = pipeline("three")
  .code("a", (task) => ({ state: { a: (task.row!.n as number) * 2 } }))
  .code("b", async (task) => ({ state: { b: (task.state.a as number) + 1 } }))
  .code("c", (task) => ({ content: `c saw ${task.state.b}` }))
  .sequence("a", "b", "c");

describe("running a pipeline on the local bus", () => {
  it("pushes 1,000 tasks through 3 roles: every id exactly once, state carried hop to hop", async () => {
    const out = tempDir();
    const run = threeRoles.run({ source: rows(1000), out, maxInFlight: 100 });
    const summary = await run.done();
    expect(summary.counts).toEqual({ done: 1000, failed: 0, filtered: 0 });
    expect(summary.hops).toBe(3000);
    const written = readJsonl<Task>(join(out, "output.jsonl"));
    expect(written).toHaveLength(1000);
    expect(new Set(written.map((task) => task.id)).size).toBe(1000);
    for (const task of written) {
      expect(TaskSchema.safeParse(task).success).toBe(true);
      expect(task.state.b).toBe((task.row!.n as number) * 2 + 1);
      expect(task.history.at(-1)?.content).toBe(`c saw ${task.state.b}`);
      expect(task.status).toBe("done");
    }
    expect(JSON.parse((await import("node:fs")).readFileSync(join(out, "summary.json"), "utf8")).counts.done).toBe(
      1000,
    );
  });

  it("never has more than maxInFlight tasks fed and unfinished", async () => {
    let active = 0;
    let peak = 0;
    const p = pipeline("bound").code("slow", async (task, ctx) => {
      void task;
      void ctx;
      await new Promise((resolve) => setTimeout(resolve, 1));
      return {};
    });
    const run = p.run({ source: rows(300), maxInFlight: 20, concurrency: 1000 });
    const unsubscribe = run.subscribe(() => {
      active = run.progress().inFlight;
      peak = Math.max(peak, active);
    });
    await run.done();
    unsubscribe();
    expect(peak).toBeLessThanOrEqual(20);
    expect(peak).toBeGreaterThan(1);
  });

  it("cancels halfway, then resumes: none duplicated, none missing", async () => {
    const out = tempDir();
    const slow = pipeline("resumable")
      .code("a", async () => {
        await new Promise((resolve) => setTimeout(resolve, 2));
        return { state: { a: 1 } };
      })
      .code("b", () => ({ content: "done" }));
    const first = slow.run({ source: rows(400), out, maxInFlight: 16 });
    const unsubscribe = first.subscribe((event) => {
      if (event.type === "task-end" && first.progress().done >= 150) void first.cancel();
    });
    const partial = await first.done();
    unsubscribe();
    expect(partial.cancelled).toBe(true);
    const afterFirst = readJsonl<Task>(join(out, "output.jsonl")).length;
    expect(afterFirst).toBeGreaterThanOrEqual(150);
    expect(afterFirst).toBeLessThan(400);

    const second = slow.run({ source: rows(400), out, resume: true, maxInFlight: 16 });
    const summary = await second.done();
    expect(summary.skipped).toBe(afterFirst);
    expect(summary.counts.done).toBe(400 - afterFirst);
    const ids = readJsonl<Task>(join(out, "output.jsonl")).map((task) => task.id);
    expect(ids).toHaveLength(400);
    expect(new Set(ids)).toEqual(new Set(rows(400).map((row) => row.id)));
  });

  it("dead-letters a malformed JSONL line with its file and line, and the run goes on", async () => {
    const out = tempDir();
    const file = join(out, "input.jsonl");
    writeFileSync(
      file,
      ['{"id":"a","n":1}', '{"id":"b", n: 2}', "", '{"id":"c","n":3}', "[1,2]", '{"id":"d","n":4}'].join("\n"),
    );
    const summary = await threeRoles.run({ source: { kind: "jsonl", path: file }, out }).done();
    expect(summary.counts.done).toBe(3);
    expect(summary.badRows).toBe(2);
    const dead = readJsonl<{
      kind: string;
      error: { name: string; message: string; details: { file: string; line: number } };
    }>(join(out, "dead-letters.jsonl"));
    expect(dead.map((record) => record.error.details.line)).toEqual([2, 5]);
    expect(dead[0]!.error.name).toBe("SourceRowError");
    expect(dead[0]!.error.message).toContain(`${file}:line 2`);
    expect(
      readJsonl<Task>(join(out, "output.jsonl"))
        .map((task) => task.id)
        .sort(),
    ).toEqual(["a", "c", "d"]);
  });

  it("an agent that throws dead-letters its task only, after its attempts", async () => {
    const out = tempDir();
    let calls = 0;
    const p = pipeline("throws")
      .code("a", (task) => {
        if (task.row!.id === "r7") throw new Error("boom on seven");
        return {};
      })
      .code("b", () => ({}));
    const run = p.run({ source: rows(20), out });
    run.subscribe((event) => {
      if (event.type === "hop-end" && event.role === "a") calls++;
    });
    const summary = await run.done();
    expect(summary.counts).toEqual({ done: 19, failed: 1, filtered: 0 });
    const [dead] = readJsonl<Task>(join(out, "dead-letters.jsonl"));
    expect(dead!.id).toBe("r7");
    expect(dead!.status).toBe("failed");
    expect(dead!.error?.role).toBe("a");
    expect(dead!.error?.message).toContain("boom on seven");
    expect(dead!.attempt).toBe(3);
    expect(calls).toBe(20);
  });

  it("a router that throws, at once or by rejecting, fails its task only, naming the flow", async () => {
    const out = tempDir();
    const p = pipeline("routes")
      .code("a", () => ({}))
      .code("b", () => ({}))
      .router("a", (task, justRan) => {
        if (justRan !== "a") return null;
        if (task.row!.id === "r3") throw new Error("no route for three");
        if (task.row!.id === "r5") return Promise.reject(new Error("no route for five"));
        return "b";
      });
    const summary = await p.run({ source: rows(8), out }).done();
    expect(summary.counts).toEqual({ done: 6, failed: 2, filtered: 0 });
    const dead = readJsonl<Task>(join(out, "dead-letters.jsonl")).sort((x, y) => x.id.localeCompare(y.id));
    expect(dead.map((task) => [task.id, task.error?.role, task.error?.message])).toEqual([
      ["r3", "a", expect.stringContaining("the flow failed: no route for three")],
      ["r5", "a", expect.stringContaining("the flow failed: no route for five")],
    ]);
  });

  it("filters tasks with a reason and keeps them out of the output", async () => {
    const out = tempDir();
    const p = pipeline("filter")
      .filter("even", (task) => ((task.row!.n as number) % 2 === 0 ? true : "odd"))
      .code("after", () => ({ content: "kept" }));
    const summary = await p.run({ source: rows(10), out }).done();
    expect(summary.counts).toEqual({ done: 5, failed: 0, filtered: 5 });
    const filtered = readJsonl<Task>(join(out, "filtered.jsonl"));
    expect(filtered.every((task) => task.reason === "odd" && task.history.length === 0)).toBe(true);
  });

  it("runs trials per row with distinct ids and derived seeds", async () => {
    const run = pipeline("trials")
      .code("a", (task) => ({ state: { seed: task.seed } }))
      .run({ source: rows(3), trials: 2 });
    await run.done();
    const ids = run
      .results()
      .map((task) => task.id)
      .sort();
    expect(ids).toEqual(["r0#0", "r0#1", "r1#0", "r1#1", "r2#0", "r2#1"]);
    expect(new Set(run.results().map((task) => task.seed)).size).toBe(6);
    const again = pipeline("trials")
      .code("a", () => ({}))
      .run({ source: rows(3), trials: 2 });
    await again.done();
    const seedsOf = (list: readonly Task[]) => Object.fromEntries(list.map((task) => [task.id, task.seed]));
    expect(seedsOf(again.results())).toEqual(seedsOf(run.results()));
  });

  it("reads arquero tables, async iterables and CSV files", async () => {
    const table = aq.table({ id: ["x", "y"], n: [1, 2] });
    const fromTable = pipeline("t")
      .code("a", () => ({}))
      .run({ source: table });
    expect((await fromTable.done()).counts.done).toBe(2);
    async function* generate() {
      for (let i = 0; i < 5; i++) yield { id: `g${i}` };
    }
    expect(
      (
        await pipeline("t")
          .code("a", () => ({}))
          .run({ source: generate() })
          .done()
      ).counts.done,
    ).toBe(5);
    const dir = tempDir();
    const csv = join(dir, "rows.csv");
    writeFileSync(csv, 'id,text\n1,"hello, world"\n2,"multi\nline ""quoted"""\n3,a,extra\n');
    const run = pipeline("t")
      .code("a", (task) => ({ content: String(task.row!.text) }))
      .run({ source: { kind: "csv", path: csv }, out: dir });
    const summary = await run.done();
    expect(summary.counts.done).toBe(2);
    expect(summary.badRows).toBe(1);
    expect(
      run
        .results()
        .map((task) => task.history[0]!.content)
        .sort(),
    ).toEqual(["hello, world", 'multi\nline "quoted"']);
  });

  it("streams finished rows and events, and done() resolves to the summary", async () => {
    const run = threeRoles.run({ source: rows(50) });
    const seen: string[] = [];
    for await (const task of run.rows()) seen.push(task.id);
    expect(seen).toHaveLength(50);
    const summary = await run.done();
    expect(summary.counts.done).toBe(50);
    expect(summary.rowsPerSecond).toBeGreaterThan(0);
    const events: string[] = [];
    const second = threeRoles.run({ source: rows(5) });
    for await (const event of second) events.push(event.type);
    expect(events.filter((type) => type === "task-end")).toHaveLength(5);
    expect(events.filter((type) => type === "hop-end")).toHaveLength(15);
    expect(events.at(-1)).toBe("run-end");
  });

  it("chat roles build the conversation view and record usage per role", async () => {
    const Verdict = z.object({ score: z.number().int().min(1).max(5) });
    const p = pipeline("chat")
      .params({ topic: "tides" })
      .chat("teacher", { system: "You teach {{params.topic}}.", prompt: "Ask about {{row.id}}." })
      .chat("student", {})
      .judge("judge", { prompt: "Rate it.", schema: Verdict, view: "none" })
      .conversation({ roles: ["teacher", "student"], maxTurns: 4, then: ["judge"] });
    const llmWithData = new FakeLlm((request) =>
      request.role === "judge"
        ? { content: '{"score":4}', data: { score: 4 } }
        : { content: `${request.role} says hi`, usage: { promptTokens: 7, completionTokens: 3 } },
    );
    const run = p.run({ source: [{ id: "q1" }], llm: llmWithData });
    const summary = await run.done();
    expect(summary.counts.done).toBe(1);
    const task = run.results()[0]!;
    // The judge's verdict goes to state, not into the conversation; its tokens are still counted.
    expect(task.history.map((turn) => turn.role)).toEqual(["teacher", "student", "teacher", "student"]);
    expect(task.usage.judge?.calls).toBe(1);
    // Each LLM turn records the filled prompts it was given, so a training example can be rebuilt.
    expect(task.history[0]!.prompt).toEqual({ system: "You teach tides.", user: "Ask about q1." });
    expect(task.history[1]!.prompt).toBeUndefined();
    // Once per role while it stays the same: the teacher's second turn had the same prompt.
    expect(task.history[2]!.prompt).toBeUndefined();
    expect(task.state.judge).toEqual({ score: 4 });
    expect(task.reason).toBe("max-turns");
    expect(task.usage.teacher).toEqual({ promptTokens: 14, completionTokens: 6, calls: 2 });
    const secondTeacher = llmWithData.requests[2]!;
    expect(secondTeacher.messages[0]).toEqual({ role: "system", content: "You teach tides." });
    expect(secondTeacher.messages.slice(1)).toEqual([
      { role: "user", content: "Ask about q1." },
      { role: "assistant", content: "teacher says hi" },
      { role: "user", content: "student says hi" },
    ]);
    // The student has no prompt: it sees the teacher's turn as the user's, and its own as the assistant's.
    expect(llmWithData.requests[3]!.messages).toEqual([
      { role: "user", content: "teacher says hi" },
      { role: "assistant", content: "student says hi" },
      { role: "user", content: "teacher says hi" },
    ]);
    expect(secondTeacher.stickyKey).toBe("q1");
    const judgeRequest = llmWithData.requests[4]!;
    expect(judgeRequest.responseSchema?.schema).toMatchObject({
      type: "object",
      properties: { score: { type: "integer" } },
    });
    expect(judgeRequest.messages).toEqual([{ role: "user", content: "Rate it." }]);
  });
});
