/**
 * The driver's bound on tasks in flight.
 *
 * Where you are: `driver/`, used by driver.ts only. The count lives in the run's progress (the
 * notebook shows it), so the gate updates it rather than keeping its own.
 */

/**
 * A counting gate: `acquire` waits while `max` slots are taken, and a waiter is woken once `refill`
 * are free. Woken at every free slot, the feed sent one task per finished task, each in a socket
 * write of its own; a refill of 1/32 of the bound goes out in one (publish-window.ts), and the
 * tasks in flight dip by no more than that.
 */
export class Slots {
  private waiting: Array<() => void> = [];
  private readonly refill: number;
  constructor(
    private readonly max: number,
    private readonly progress: { inFlight: number },
  ) {
    this.refill = Math.min(64, Math.max(1, Math.floor(max / 32)));
  }
  acquire(): Promise<void> | undefined {
    if (this.progress.inFlight < this.max) {
      this.progress.inFlight++;
      return undefined;
    }
    return new Promise((resolve) => this.waiting.push(() => (this.progress.inFlight++, resolve())));
  }
  release(): void {
    this.progress.inFlight--;
    if (this.max - this.progress.inFlight >= this.refill) this.waiting.shift()?.();
  }
  /** Wakes every waiter without a slot (cancel). */
  drainWaiters(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const wake of waiting) wake();
  }
}
