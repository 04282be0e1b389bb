/**
 * Replay and fork one finished task: a fork from turn k shares turns 1..k with its original (the same
 * turn records, made without calling the model again), rebuilds the state the flow and the code roles
 * had there, then runs live with the changed role; it is a new task linked to its original.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { forkTask, pipeline, type Task } from "../../sdk/index.js";
import { FakeLlm } from "../helpers/fake-llm.js";
import { readJsonl } from "../helpers/jsonl.js";
import { tempDir } from "../helpers/temp-dir.js";

const debate = pipeline("debate")
  .chat("teacher", { prompt: "Teach {{row.topic}}.", temperature: 0.2 })
  .chat("student", { prompt: "Learn {{row.topic}}.", temperature: 0.2 })
  .code("count", (task) => ({
    state: { words: ((task.state.words as number) ?? 0) + (task.history.at(-1)?.content ?? "").split(" ").length },
  }))
  .conversation({ roles: ["teacher", "student"], after: ["count"], maxTurns: 4 });

/** Replies name the role, its temperature and a call counter, so each turn says where it came from. */
const llm = () =>
  new FakeLlm((request, index) => ({ content: `${request.role} at ${request.temperature} call ${index}` }));

describe("fork and replay", () => {
  it("a fork from turn k shares turns 1..k with its original and changes what follows", async () => {
    const out = tempDir();
    const original = debate.run({ source: [{ id: "q1", topic: "tides" }], out, llm: llm() });
    await original.done();
    const [first] = original.results();
    expect(first!.history.map((turn) => turn.content)).toEqual([
      "teacher at 0.2 call 0",
      "student at 0.2 call 1",
      "teacher at 0.2 call 2",
      "student at 0.2 call 3",
    ]);

    const forkLlm = llm();
    const fork = forkTask(original, "q1", { fromTurn: 2, roles: { student: { temperature: 1.5 } }, llm: forkLlm });
    await fork.done();
    const [forked] = fork.results();
    expect(forked!.forkOf).toBe("q1");
    expect(forked!.fromTurn).toBe(2);
    expect(forked!.id).toMatch(/^q1~fork2-[0-9a-f]{6}$/);
    // Turns 1..2 are the original's records, agent and timing included.
    expect(forked!.history.slice(0, 2)).toEqual(first!.history.slice(0, 2));
    // Only the live turns called the model, the student with its new temperature.
    expect(forkLlm.requests.map((request) => request.role)).toEqual(["teacher", "student"]);
    expect(forked!.history.slice(2).map((turn: { content: string | null }) => turn.content)).toEqual([
      "teacher at 0.2 call 0",
      "student at 1.5 call 1",
    ]);
    // The flow's and the code role's state were rebuilt through the replayed turns.
    expect(forked!.state._flow).toEqual({ turns: 4, ended: "max-turns" });
    expect(forked!.state.words).toBe(first!.state.words);
    expect(forked!.replay).toBeUndefined();
    // Forks of a run with an output directory go to <out>/forks.
    expect(readJsonl<Task>(join(out, "forks", "output.jsonl")).map((task) => task.id)).toEqual([forked!.id]);
  });

  it("an unchanged fork from the directory replays: same turns, same state; the same fork again is written once", async () => {
    const out = tempDir();
    await debate.run({ source: [{ id: "q2", topic: "tides" }], out, llm: llm() }).done();
    const [stored] = readJsonl<Task>(join(out, "output.jsonl"));
    const replay = forkTask(out, "q2", { fromTurn: 4, llm: llm() });
    await replay.done();
    const [again] = replay.results();
    expect(again!.history).toEqual(stored!.history);
    expect(again!.state).toEqual(stored!.state);
    const twice = forkTask(out, "q2", { fromTurn: 4, llm: llm() });
    expect((await twice.done()).skipped).toBe(1);
    expect(readJsonl<Task>(join(out, "forks", "output.jsonl"))).toHaveLength(1);
    // Running the pipeline afresh in the directory replaces its tasks, and their forks with them: the
    // same fork (a notebook re-run) is made again rather than skipped.
    await debate.run({ source: [{ id: "q2", topic: "tides" }], out, llm: llm() }).done();
    expect(existsSync(join(out, "forks"))).toBe(false);
    const remade = forkTask(out, "q2", { fromTurn: 4, llm: llm() });
    await remade.done();
    expect(remade.results().map((task) => task.id)).toEqual([again!.id]);
    expect(() => forkTask(out, "q2", { fromTurn: 9 })).toThrow(/fromTurn must be 0\.\.4/);
    expect(() => forkTask(out, "q2", { fromTurn: 1, roles: { nobody: {} } })).toThrow(/no role 'nobody'/);
  });
});
