/**
 * The feed's publishes, several awaiting their acks at once instead of one after another.
 *
 * Where you are: `driver/`, used by driver.ts only. Awaited one by one, every task the driver fed
 * went out in a socket write of its own (the next publish could not start before the last ack came
 * back), and on loopback a write costs the sender the receiver's side of TCP too: about a third of
 * the driver's CPU under bench/nats-bus.ts. Started together, the tasks of one refill of the
 * in-flight slots leave in one burst (jetstream-publisher.ts).
 *
 * Our own rather than p-queue: what it adds over a counter is keeping the first failure and
 * stopping on it, which a queue would leave to the caller anyway.
 */
export class PublishWindow {
  private readonly pending = new Set<Promise<void>>();
  private failure: { error: unknown } | undefined;
  private slotFree: (() => void) | undefined;

  /** `size`: publishes awaiting their acks at most (a server that is away holds no more than these retrying). */
  constructor(private readonly size: number) {}

  /**
   * Starts `publish` without waiting for it, once fewer than `size` are pending. Throws the failure
   * of an earlier publish: feeding stops at the first task that could not be queued.
   */
  async send(publish: () => Promise<void>): Promise<void> {
    this.throwIfFailed();
    while (this.pending.size >= this.size) await new Promise<void>((resolve) => (this.slotFree = resolve));
    this.throwIfFailed();
    const sending: Promise<void> = publish().then(
      () => this.settled(sending),
      (error: unknown) => {
        this.failure ??= { error };
        this.settled(sending);
      },
    );
    this.pending.add(sending);
  }

  /** Waits until every publish started has been acked; throws the first that failed. */
  async published(): Promise<void> {
    await this.idle();
    this.throwIfFailed();
  }

  /** Waits until no publish is pending, failed or not (before the feed returns, on any path). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.all(this.pending);
  }

  /** True once a publish has failed (feeding should stop). */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  throwIfFailed(): void {
    if (this.failure) throw this.failure.error;
  }

  private settled(sending: Promise<void>): void {
    this.pending.delete(sending);
    const wake = this.slotFree;
    this.slotFree = undefined;
    wake?.();
  }
}
