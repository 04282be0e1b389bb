/**
 * PublishWindow: the driver's feed publishes, several awaiting their acks at once, with the first
 * failure kept and thrown, and nothing left pending when the feed ends.
 */
import { describe, expect, it } from "vitest";
import { PublishWindow } from "../../sdk/driver/publish-window.js";

/** A publish the test settles by hand. */
function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe("PublishWindow", () => {
  it("starts publishes without waiting for their acks, up to its size, then waits for one to settle", async () => {
    const window = new PublishWindow(3);
    const publishes = Array.from({ length: 4 }, deferred);
    for (const publish of publishes.slice(0, 3)) await window.send(() => publish.promise);
    let fourthStarted = false;
    const fourth = window.send(() => ((fourthStarted = true), publishes[3]!.promise));
    await new Promise((resolve) => setImmediate(resolve));
    expect(fourthStarted).toBe(false);
    publishes[1]!.resolve();
    await fourth;
    expect(fourthStarted).toBe(true);
    let allAcked = false;
    const published = window.published().then(() => (allAcked = true));
    publishes[0]!.resolve();
    publishes[2]!.resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(allAcked).toBe(false);
    publishes[3]!.resolve();
    await published;
    expect(allAcked).toBe(true);
  });

  it("keeps the first failure: the next send and published() throw it, and idle() still waits for the rest", async () => {
    const window = new PublishWindow(10);
    const first = deferred();
    const second = deferred();
    const third = deferred();
    await window.send(() => first.promise);
    await window.send(() => second.promise);
    await window.send(() => third.promise);
    first.reject(new Error("stream gone"));
    second.reject(new Error("second failure"));
    await new Promise((resolve) => setImmediate(resolve));
    let started = false;
    await expect(window.send(async () => void (started = true))).rejects.toThrow("stream gone");
    expect(started).toBe(false);
    let idle = false;
    const waiting = window.idle().then(() => (idle = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);
    third.resolve();
    await waiting;
    await expect(window.published()).rejects.toThrow("stream gone");
  });
});
