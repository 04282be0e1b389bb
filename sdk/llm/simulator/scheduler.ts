/**
 * The continuous-batching latency model: one step loop, like vLLM's engine loop, in which every running
 * sequence emits one token per step.
 *
 * Where you are: `llm/simulator/`. Knows nothing of HTTP: the server submits a `Sequence` with a listener
 * and hears back when tokens are ready and when it is done. The model (docs/simulator.md has the formulas):
 *   - a step lasts `stepBaseMs + stepPerSeqMs * running + prefillPerTokenMs * (prompt tokens admitted)`;
 *   - at each step start, waiting sequences are admitted in FIFO order while `running < maxNumSeqs` and
 *     their prompt + output tokens fit in `kvCapacityTokens` (the output length is known in advance, so
 *     the full KV need is reserved at admission and no preemption is ever needed);
 *   - a sequence admitted in a step gets its first token at that step's end.
 * Time is virtual: virtual seconds = real seconds * speed. One timer drives the loop; when a timer fires
 * late (ms granularity, a busy event loop) every step whose end has passed runs in that tick, so the
 * throughput stays exact and only the delivery is bursty.
 */
import type { SimulatorConfig } from "./profiles.js";

/** What the server hears about one sequence. Calls come after the steps of a tick have run. */
export interface SequenceListener {
  /** `sequence.generated` went up since the last call. */
  onTokens(sequence: Sequence): void;
  /** All `outputTokens` are generated; `onTokens` was called first for the last ones. */
  onDone(sequence: Sequence): void;
}

/** One request in the model. Kept small (numbers and one reference): ten thousand may be open. */
export class Sequence {
  /** Virtual time (s) of arrival, first token and completion. */
  arrivedAt = 0;
  firstTokenAt = -1;
  finishedAt = -1;
  generated = 0;
  /** Index in the running array (for O(1) removal), or -1. */
  slot = -1;
  state: "waiting" | "running" | "done" | "cancelled" = "waiting";
  /** Marks the sequence as already queued for a listener call in the current tick. */
  touched = false;

  constructor(
    readonly promptTokens: number,
    readonly outputTokens: number,
    readonly listener: SequenceListener,
  ) {}
}

export interface SchedulerStats {
  running: number;
  waiting: number;
  kvUsedTokens: number;
  steps: number;
  promptTokens: number;
  generatedTokens: number;
  /** Virtual seconds spent inside steps (busy time of the simulated GPU). */
  busySeconds: number;
  /** Duration of the last step, in virtual ms. */
  lastStepMs: number;
}

type SchedulerConfig = Pick<
  SimulatorConfig,
  "speed" | "stepBaseMs" | "stepPerSeqMs" | "prefillPerTokenMs" | "maxNumSeqs" | "kvCapacityTokens"
>;

export class Scheduler {
  private readonly running: Sequence[] = [];
  /** FIFO with a head index: `shift()` on a 10,000-long array would be O(n) per admission. */
  private waiting: Sequence[] = [];
  private waitingHead = 0;
  private waitingCount = 0;
  private kvUsed = 0;
  private stepEnd = 0;
  private inStep = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly origin = performance.now();
  private stopped = false;
  private readonly touched: Sequence[] = [];
  private readonly finished: Sequence[] = [];
  private readonly totals = { steps: 0, promptTokens: 0, generatedTokens: 0, busySeconds: 0, lastStepMs: 0 };

  constructor(private readonly config: SchedulerConfig) {}

  /** Virtual seconds since the scheduler started. */
  now(): number {
    return ((performance.now() - this.origin) / 1000) * this.config.speed;
  }

  submit(sequence: Sequence): void {
    if (this.stopped) throw new Error("The simulator scheduler is stopped.");
    sequence.arrivedAt = this.now();
    this.waiting.push(sequence);
    this.waitingCount++;
    // An idle engine starts a step at once; a busy one admits the sequence at its next step boundary.
    if (!this.inStep) {
      this.beginStep(sequence.arrivedAt);
      this.schedule(sequence.arrivedAt);
    }
  }

  /** Drops a sequence whose client went away, freeing its slot and KV reservation. */
  cancel(sequence: Sequence): void {
    if (sequence.state === "waiting") {
      // Left in the array and skipped at admission; the count is what the metrics show.
      this.waitingCount--;
    } else if (sequence.state === "running") {
      this.removeRunning(sequence);
    } else {
      return;
    }
    sequence.state = "cancelled";
  }

  stats(): SchedulerStats {
    return { running: this.running.length, waiting: this.waitingCount, kvUsedTokens: this.kvUsed, ...this.totals };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(now: number): void {
    if (this.stopped || !this.inStep) return;
    const delayMs = ((this.stepEnd - now) / this.config.speed) * 1000;
    this.timer = setTimeout(this.tick, Math.max(0, delayMs));
  }

  private readonly tick = (): void => {
    this.timer = undefined;
    const now = this.now();
    while (this.inStep && this.stepEnd <= now) {
      this.completeStep();
      if (this.running.length > 0) this.beginStep(this.stepEnd);
      else if (this.waitingCount > 0) this.beginStep(Math.max(this.stepEnd, this.peekWaiting()!.arrivedAt));
      else this.inStep = false;
    }
    this.notify();
    this.schedule(now);
  };

  private beginStep(start: number): void {
    const { config } = this;
    let admittedPromptTokens = 0;
    while (this.waitingCount > 0 && this.running.length < config.maxNumSeqs) {
      const next = this.peekWaiting()!;
      // A late timer runs past steps in catch-up; a sequence cannot join a step that began before it arrived.
      if (next.arrivedAt > start) break;
      const need = next.promptTokens + next.outputTokens;
      // FIFO: the head blocks the queue until it fits, except into an empty engine (no deadlock).
      if (this.kvUsed + need > config.kvCapacityTokens && this.running.length > 0) break;
      this.waitingHead++;
      this.waitingCount--;
      next.state = "running";
      next.slot = this.running.length;
      this.running.push(next);
      this.kvUsed += need;
      admittedPromptTokens += next.promptTokens;
    }
    this.compactWaiting();
    const stepMs =
      config.stepBaseMs + config.stepPerSeqMs * this.running.length + config.prefillPerTokenMs * admittedPromptTokens;
    this.totals.promptTokens += admittedPromptTokens;
    this.totals.lastStepMs = stepMs;
    this.totals.busySeconds += stepMs / 1000;
    this.stepEnd = start + stepMs / 1000;
    this.inStep = true;
  }

  private completeStep(): void {
    const end = this.stepEnd;
    this.totals.steps++;
    this.totals.generatedTokens += this.running.length;
    // Backwards, because finished sequences are swap-removed from the array.
    for (let index = this.running.length - 1; index >= 0; index--) {
      const sequence = this.running[index]!;
      sequence.generated++;
      if (sequence.generated === 1) sequence.firstTokenAt = end;
      if (!sequence.touched) {
        sequence.touched = true;
        this.touched.push(sequence);
      }
      if (sequence.generated >= sequence.outputTokens) {
        sequence.finishedAt = end;
        this.removeRunning(sequence);
        sequence.state = "done";
        this.finished.push(sequence);
      }
    }
  }

  private notify(): void {
    // Listeners run after the state is consistent, so one may cancel or submit without surprises.
    const touched = this.touched.splice(0);
    for (const sequence of touched) {
      sequence.touched = false;
      if (sequence.state !== "cancelled") sequence.listener.onTokens(sequence);
    }
    for (const sequence of this.finished.splice(0)) sequence.listener.onDone(sequence);
  }

  private removeRunning(sequence: Sequence): void {
    const last = this.running.pop()!;
    if (last !== sequence) {
      this.running[sequence.slot] = last;
      last.slot = sequence.slot;
    }
    sequence.slot = -1;
    this.kvUsed -= sequence.promptTokens + sequence.outputTokens;
  }

  /** The oldest waiting sequence that was not cancelled (skipping the cancelled ones for good). */
  private peekWaiting(): Sequence | undefined {
    while (this.waitingHead < this.waiting.length && this.waiting[this.waitingHead]!.state === "cancelled") {
      this.waitingHead++;
    }
    return this.waiting[this.waitingHead];
  }

  /** Drops the consumed head of the waiting array once it is large, to keep memory bounded. */
  private compactWaiting(): void {
    if (this.waitingCount === 0) {
      this.waiting = [];
      this.waitingHead = 0;
    } else if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
  }
}
