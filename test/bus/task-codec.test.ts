/**
 * Tasks on the wire (`sdk/bus/nats/task-codec.ts`): what a worker reads is what zod would have made of
 * the bytes, whether the fast check recognised them (a task as our processes write it) or zod built it
 * (a default to fill, a key to strip), and a bad message is a named error with its field path.
 */
import { describe, expect, it } from "vitest";
import { TaskValidationError } from "../../sdk/errors.js";
import { decodeTask, encodeTask } from "../../sdk/bus/nats/task-codec.js";
import { TaskSchema, type Task } from "../../sdk/schema/task.js";

const task: Task = {
  id: "r1",
  runId: "run-1",
  rowId: "r1",
  trial: 0,
  seed: 7,
  row: { question: "why?" },
  history: [
    {
      role: "teacher",
      agent: "w1",
      content: null,
      toolCalls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
      timing: { start: 1, end: 2 },
    },
  ],
  state: {},
  cursor: "student",
  status: "running",
  attempt: 0,
  hops: 1,
  usage: {},
  timestamps: { created: 1 },
};

const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

describe("decodeTask", () => {
  it("reads back what encodeTask wrote", () => {
    const decoded = decodeTask(encodeTask(task));
    expect(decoded).toEqual({ ok: true, task });
  });

  it("gives what zod makes of a task not in output form: defaults filled, unknown keys dropped", () => {
    const loose = JSON.parse(JSON.stringify(task));
    delete loose.history[0].toolCalls[0].type;
    loose.extra = "dropped";
    loose.timestamps.also = 1;
    const decoded = decodeTask(bytes(loose));
    expect(decoded.ok).toBe(true);
    expect(decoded.ok && decoded.task).toEqual(TaskSchema.parse(loose));
    expect(decoded.ok && decoded.task).toEqual(task);
  });

  it("names the field of a bad task, and says when the bytes are not JSON", () => {
    const decoded = decodeTask(bytes({ ...task, hops: -1 }));
    expect(decoded.ok).toBe(false);
    if (decoded.ok) return;
    expect(decoded.error).toBeInstanceOf(TaskValidationError);
    expect(decoded.error.message).toContain("hops");
    expect(decoded.raw).toMatchObject({ id: "r1", hops: -1 });
    const garbage = decodeTask(new TextEncoder().encode("{not json"));
    expect(garbage.ok).toBe(false);
    expect(!garbage.ok && garbage.error.message).toMatch(/not JSON/);
  });

  it("drops an own __proto__ key from the task's records, as zod does, so it never reaches Object.prototype", () => {
    const json = JSON.stringify(task).replace(
      '"usage":{',
      '"usage":{"__proto__":{"promptTokens":5,"completionTokens":7,"calls":1}',
    );
    const decoded = decodeTask(new TextEncoder().encode(json));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(Object.keys(decoded.task.usage)).toEqual([]);
    expect(decoded.task).toEqual(task);
    const byRole: Record<string, { prompt: number }> = {};
    for (const role of Object.keys(decoded.task.usage)) (byRole[role] ??= { prompt: 0 }).prompt += 1;
    expect(({} as { prompt?: number }).prompt).toBeUndefined();
  });
});
