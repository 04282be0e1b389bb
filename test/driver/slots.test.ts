/**
 * Slots: the driver's bound on tasks in flight. A waiting feeder is woken only once a refill's worth
 * (1/32 of the bound) is free, so the refill goes out together; never more than the bound are taken.
 */
import { describe, expect, it } from "vitest";
import { Slots } from "../../sdk/driver/slots.js";

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe("Slots", () => {
  it("wakes a waiting feeder once 1/32 of the bound is free, not at every free slot", async () => {
    const progress = { inFlight: 0 };
    const slots = new Slots(320, progress); // refills of 10
    for (let i = 0; i < 320; i++) expect(slots.acquire()).toBeUndefined();
    let woken = false;
    const waiting = slots.acquire()!.then(() => (woken = true));
    for (let i = 0; i < 9; i++) slots.release();
    await turn();
    expect(woken).toBe(false);
    expect(progress.inFlight).toBe(311);
    slots.release();
    await waiting;
    expect(progress.inFlight).toBe(311);
    // The rest of the refill is taken without waiting, up to the bound and no further.
    for (let i = 0; i < 9; i++) expect(slots.acquire()).toBeUndefined();
    expect(progress.inFlight).toBe(320);
    expect(slots.acquire()).toBeInstanceOf(Promise);
  });

  it("a small bound refills one slot at a time; a cancel wakes every waiter", async () => {
    const progress = { inFlight: 0 };
    const slots = new Slots(4, progress);
    for (let i = 0; i < 4; i++) slots.acquire();
    let woken = 0;
    const first = slots.acquire()!.then(() => woken++);
    slots.release();
    await first;
    expect(woken).toBe(1);
    const rest = [slots.acquire()!, slots.acquire()!].map((wait) => wait.then(() => woken++));
    slots.drainWaiters();
    await Promise.all(rest);
    expect(woken).toBe(3);
  });
});
