/**
 * The offloaded-content cache (`lru-cache`, bounded by bytes) on a real nats-server: a text read again
 * comes from the cache, the least recently used one leaves when the bytes run out and is fetched from the
 * object store again, a text larger than the whole cache is never kept, and a run that is forgotten leaves
 * nothing behind in the cache.
 *
 * Where you are: `test/bus/`, mirroring `sdk/bus/nats/content-store.ts` (the offloading round trip
 * through a worker is in `test/worker/security-offload.test.ts`).
 */
import { afterAll, beforeAll, expect, it, vi } from "vitest";
import { createNatsBus, type NatsBus } from "../../sdk/bus/nats/index.js";
import { DEFAULT_OFFLOAD_THRESHOLD } from "../../sdk/bus/nats/nats-bus.js";
import { CONTENT_STREAM_MAX_BYTES } from "../../sdk/bus/nats/content-store.js";
import { names } from "../../sdk/bus/nats/names.js";
import { decodeTask, encodeTask } from "../../sdk/bus/nats/task-codec.js";
import { createTask } from "../../sdk/driver/task-factory.js";
import type { Task } from "../../sdk/schema/task.js";
import { pipeline } from "../../sdk/pipeline/pipeline.js";
import { describeWithNats, startNatsServer, type NatsServerHandle } from "../helpers/nats-server.js";

/** A turn of `content` as an agent appends it. */
const turn = (content: string) => ({ role: "a", agent: "w", content, timing: { start: 1, end: 2 } });

/** A message's task, as a consumer decodes it. */
function decode(data: Uint8Array): Task {
  const decoded = decodeTask(data);
  if (!decoded.ok) throw decoded.error;
  return decoded.task;
}

describeWithNats("offloaded-content cache", () => {
  let server: NatsServerHandle;
  let bus: NatsBus;
  const runId = "content-cache";
  beforeAll(async () => {
    server = await startNatsServer();
    // 20 000 bytes: two 4 000-character texts (8 000 bytes each in memory), not three.
    bus = await createNatsBus({ servers: [server.url], cacheBytes: 20_000 });
    await bus.content.ensureStore(runId);
  });
  afterAll(async () => {
    await bus?.content.destroy(runId);
    await bus?.close();
    await server?.dispose();
  });

  it("keeps what fits by bytes, evicts the least recently used, never keeps a text larger than the cache", async () => {
    const store = bus.content;
    const text = (letter: string, length = 4000) => letter.repeat(length);
    const a = await store.storeText(runId, text("a"));
    const b = await store.storeText(runId, text("b"));
    const read = async (ref: typeof a) => {
      const before = { ...store.stats };
      const value = await store.get(runId, ref);
      return { value, hit: store.stats.cacheHits - before.cacheHits, fetched: store.stats.fetched - before.fetched };
    };
    // Both fit: read from the cache.
    expect(await read(a)).toEqual({ value: text("a"), hit: 1, fetched: 0 });
    expect(await read(b)).toEqual({ value: text("b"), hit: 1, fetched: 0 });
    // A third pushes out the least recently used (a, read before b).
    const c = await store.storeText(runId, text("c"));
    expect(await read(c)).toEqual({ value: text("c"), hit: 1, fetched: 0 });
    expect(await read(b)).toEqual({ value: text("b"), hit: 1, fetched: 0 });
    expect(await read(a)).toEqual({ value: text("a"), hit: 0, fetched: 1 });
    // Reading a again cached it, which pushed out c (now the least recently used).
    expect(await read(a)).toEqual({ value: text("a"), hit: 1, fetched: 0 });
    expect(await read(c)).toEqual({ value: text("c"), hit: 0, fetched: 1 });
    // 12 000 characters are 24 000 bytes: stored on the server, fetched every time, evicting nothing.
    const big = await store.storeText(runId, text("z", 12_000));
    expect(await read(big)).toEqual({ value: text("z", 12_000), hit: 0, fetched: 1 });
    expect(await read(big)).toEqual({ value: text("z", 12_000), hit: 0, fetched: 1 });
    expect(await read(c)).toEqual({ value: text("c"), hit: 1, fetched: 0 });
  });

  it("forgets a run's cached texts and stored refs, and reads them back from the object store", async () => {
    const store = bus.content;
    const ref = await store.storeText(runId, "kept by the server");
    expect((await store.get(runId, ref)) === "kept by the server" && store.stats.cacheHits > 0).toBe(true);
    store.forget(runId);
    const before = { ...store.stats };
    expect(await store.get(runId, ref)).toBe("kept by the server");
    expect(store.stats.fetched - before.fetched).toBe(1);
    // The ref was forgotten too: storing the same text again writes it again (content-addressed, same ref).
    expect(await store.storeText(runId, "kept by the server")).toEqual(ref);
    expect(store.stats.offloaded - before.offloaded).toBe(1);
  });

  it("stores a text once when several offload it at the same moment (the trials of one row)", async () => {
    const store = bus.content;
    for (const text of ["same row, stored at once by three trials", "L".repeat(CONTENT_STREAM_MAX_BYTES + 1)]) {
      const before = store.stats.offloaded;
      const refs = await Promise.all([1, 2, 3].map(() => store.storeText(runId, text)));
      expect(new Set(refs.map((ref) => ref.ref)).size).toBe(1);
      expect(store.stats.offloaded - before).toBe(1);
      expect(await store.get(runId, refs[0]!)).toBe(text);
    }
  });

  it("encodes a task within the threshold as it is, offloads only texts over it, never sends a restored row inline", async () => {
    const store = bus.content;
    const threshold = DEFAULT_OFFLOAD_THRESHOLD;
    const task = createTask({ runId, rowId: "r1", row: { q: "short" }, trial: 0, trials: 1, seed: 1, cursor: "a" });
    const offload = vi.spyOn(store, "offload");
    try {
      const before = store.stats.offloaded;
      // Small: the message is the task, written without looking inside it.
      expect(decode((await store.encode(task)) as Uint8Array)).toEqual(task);
      // Exactly at the threshold, with a turn of multi-byte text (each "€" is 3 bytes): still the fast way.
      const base = encodeTask({ ...task, history: [turn("")] }).length;
      const euros = Math.floor((threshold - base) / 3);
      const exact = { ...task, history: [turn("€".repeat(euros) + "x".repeat(threshold - base - 3 * euros))] };
      const exactBytes = await store.encode(exact);
      expect(exactBytes.length).toBe(threshold);
      expect(decode(exactBytes)).toEqual(exact);
      expect(offload).not.toHaveBeenCalled();
      // Over the threshold as a whole, each text under it: looked inside, still inline, nothing stored.
      const many = { ...task, history: [turn("x".repeat(900)), turn("y".repeat(900))] };
      const manyBytes = await store.encode(many);
      expect(manyBytes.length).toBeGreaterThan(threshold);
      expect(decode(manyBytes)).toEqual(many);
      expect(offload).toHaveBeenCalledTimes(1);
      expect(store.stats.offloaded - before).toBe(0);
      // One text over it (400 characters, 1,200 bytes): that turn travels as a reference, the other stays.
      const large = { ...many, history: [turn("€".repeat(400)), turn("y".repeat(900))] };
      const sent = decode(await store.encode(large));
      expect(sent.history[0]).toMatchObject({ content: null, contentRef: { bytes: 1200 } });
      expect(sent.history[1]!.content).toBe("y".repeat(900));
      expect(store.stats.offloaded - before).toBe(1);
      // A row restored on delivery keeps its ref and goes without its text, however small the task.
      const restored = { ...task, rowRef: { ref: `sha256:${"1".repeat(64)}`, bytes: 2000 } };
      expect(decode(await store.encode(restored))).toMatchObject({ row: null, rowRef: restored.rowRef });
    } finally {
      offload.mockRestore();
    }
  });

  it("restores a delivered task's row and turns in place; unchanged they go back by their refs, edited ones do not", async () => {
    const store = bus.content;
    const long = "L".repeat(3000);
    const task = createTask({
      runId,
      rowId: "r2",
      row: { q: "z".repeat(2000) },
      trial: 0,
      trials: 1,
      seed: 1,
      cursor: "a",
    });
    const sent = await store.encode({ ...task, history: [turn(long), turn("short")] });
    const first = decode(sent);
    expect(first.row).toBeNull();
    expect(first.history[0]!.content).toBeNull();
    const ref = first.history[0]!.contentRef!;
    expect(store.restore(decode(encodeTask({ ...task, history: [turn("short")] })))).toBeUndefined();
    /** The task as the next hop receives it, restored. */
    const delivered = async () => {
      const next = decode(sent);
      await store.restore(next);
      return next;
    };
    const unchanged = await delivered();
    expect(unchanged.row).toEqual({ q: "z".repeat(2000) });
    expect(unchanged.history.map((t) => t.content)).toEqual([long, "short"]);
    expect(unchanged.history[0]!.contentRef).toEqual(ref);
    const stored = store.stats.offloaded;
    const again = decode(await store.encode(unchanged));
    expect(again.row).toBeNull();
    expect(again.rowRef).toEqual(first.rowRef);
    expect(again.history[0]).toMatchObject({ content: null, contentRef: ref });
    expect(store.stats.offloaded).toBe(stored);
    // Edited short: inline, without the ref to the old text.
    const shortened = await delivered();
    shortened.history[0]!.content = "edited";
    const inline = decode(await store.encode(shortened)).history[0]!;
    expect(inline.content).toBe("edited");
    expect(inline.contentRef).toBeUndefined();
    // Edited long: stored again under its own ref.
    const rewritten = await delivered();
    rewritten.history[0]!.content = "M".repeat(3000);
    const moved = decode(await store.encode(rewritten)).history[0]!;
    expect(moved.content).toBeNull();
    expect(moved.contentRef!.ref).not.toBe(ref.ref);
    expect(await store.get(runId, moved.contentRef!)).toBe("M".repeat(3000));
  });

  it("keeps content up to 512 KiB in the run's content stream and larger in its object store; another process reads both", async () => {
    const small = "s".repeat(CONTENT_STREAM_MAX_BYTES);
    const large = "l".repeat(CONTENT_STREAM_MAX_BYTES + 1);
    const smallRef = await bus.content.storeText(runId, small);
    const largeRef = await bus.content.storeText(runId, large);
    const jsm = await bus.jsm();
    const objStream = await jsm.streams.info(`OBJ_${names.objects(runId)}`);
    const inStream = await jsm.streams.getMessage(names.content(runId), {
      last_by_subj: names.contentSubject(runId, smallRef.ref.slice("sha256:".length)),
    });
    expect(inStream?.data.length).toBe(CONTENT_STREAM_MAX_BYTES);
    expect(objStream.state.bytes).toBeGreaterThan(CONTENT_STREAM_MAX_BYTES);
    // A second bus has nothing cached: both come from the server, each from its own bucket.
    const other = await createNatsBus({ servers: [server.url] });
    try {
      expect(await other.content.get(runId, smallRef)).toBe(small);
      expect(await other.content.get(runId, largeRef)).toBe(large);
      expect(other.content.stats.fetched).toBe(2);
      // A ref nobody stored is a named error, not a hang.
      await expect(other.content.get(runId, { ref: `sha256:${"0".repeat(64)}`, bytes: 10 })).rejects.toThrow(
        /missing from the run's content buckets/,
      );
    } finally {
      await other.close();
    }
  });

  it("names a run's content stream apart from every run stream (a run may be called CONTENT_x)", async () => {
    const other = await createNatsBus({ servers: [server.url] });
    try {
      // Both runs open on one server: had the names collided, the second would have reused the first's stream.
      await other.openRun({
        runId: "x",
        definition: pipeline("x")
          .code("a", () => ({}))
          .toJSON() as never,
      });
      await other.openRun({
        runId: "CONTENT_x",
        definition: pipeline("y")
          .code("a", () => ({}))
          .toJSON() as never,
      });
      const jsm = await other.jsm();
      const run = await jsm.streams.info(names.stream("CONTENT_x"));
      const content = await jsm.streams.info(names.content("x"));
      expect(run.config.subjects).toEqual(["matrix.CONTENT_x.>"]);
      expect(content.config.subjects).toEqual(["matrix_content.x.*"]);
      await other.closeRun("x");
      await other.closeRun("CONTENT_x");
    } finally {
      await other.close();
    }
  });

  it("gives a run whose id looks escaped its own stream (x612e62 is not a.b)", async () => {
    expect(names.stream("x612e62")).not.toBe(names.stream("a.b"));
    const other = await createNatsBus({ servers: [server.url] });
    const definition = pipeline("z")
      .code("a", () => ({}))
      .toJSON() as never;
    try {
      await other.openRun({ runId: "a.b", definition });
      await other.openRun({ runId: "x612e62", definition });
      const jsm = await other.jsm();
      const first = await jsm.streams.info(names.stream("a.b"));
      const second = await jsm.streams.info(names.stream("x612e62"));
      expect(first.config.subjects).not.toEqual(second.config.subjects);
      await other.closeRun("a.b");
      await other.closeRun("x612e62");
    } finally {
      await other.close();
    }
  });

  it("refuses to open a run whose stream name is taken by a stream that is not its queue", async () => {
    const other = await createNatsBus({ servers: [server.url] });
    const jsm = await other.jsm();
    const stream = names.stream("taken");
    await jsm.streams.add({ name: stream, subjects: ["elsewhere.>"] });
    try {
      await expect(
        other.openRun({
          runId: "taken",
          definition: pipeline("t")
            .code("a", () => ({}))
            .toJSON() as never,
        }),
      ).rejects.toThrow(/stream MATRIX_taken exists but is not its queue \(subjects \["elsewhere\.>"\]/);
      // Re-opening a run under other settings (here its replica count is the same; its description differs) keeps it.
      await jsm.streams.delete(stream);
      await other.ensureRun("kept", ["a"]);
      await jsm.streams.update(names.stream("kept"), { description: "edited" });
      await expect(other.ensureRun("kept", ["a"])).resolves.toBeUndefined();
      await other.closeRun("kept");
    } finally {
      await jsm.streams.delete(stream).catch(() => undefined);
      await other.close();
    }
  });
});
