/**
 * The bus contract: moves tasks between roles. `local` (in-process) and `nats` (JetStream) implement it
 * with the same semantics and pass the same behaviour tests (test/bus/bus-contract.ts).
 *
 * Where you are: `bus/`. It imports only `schema/` and `errors`. Agents, the driver and the sink use
 * a Bus; they never know which one.
 */
import type { RunEvent } from "../schema/event.js";
import type { LlmSelection } from "../schema/llm-selection.js";
import type { PipelineDefinition } from "../schema/pipeline-definition.js";
import type { Task } from "../schema/task.js";
import type { SharedStore } from "./shared-store.js";
import type { RunSignature } from "../trust/run-signature.js";

/** One task handed to a consumer. Exactly one of `ack`/`nak`/`term` must be called. */
export interface Delivery {
  readonly task: Task;
  /** 1 on first delivery; more after a crash or a nak. */
  readonly deliveryCount: number;
  /** When the task was published to this role (ms since epoch). */
  readonly publishedAt: number;
  /** The message's size in bytes, on a bus that serializes tasks (NATS). */
  readonly bytes?: number;
  /** Done with it: the successor (if any) is already published. */
  ack(): Promise<void>;
  /** Give it back to be delivered again (after `delayMs`). */
  nak(delayMs?: number): Promise<void>;
  /** Still working on it (keeps a long LLM call from being redelivered). */
  working(): void;
}

export type DeliveryHandler = (delivery: Delivery) => Promise<void>;

export interface ConsumeOptions {
  /** Deliveries handled at once by this consumer. */
  concurrency: number;
  /**
   * The run whose queue to consume, on a bus that carries several runs at once (NATS). Optional:
   * without it a NATS bus uses its one open run; the local bus has one queue per role and ignores it.
   */
  runId?: string;
}

export interface BusConsumer {
  /** Stops taking new deliveries and resolves when those in hand are finished. Safe to call twice. */
  stop(): Promise<void>;
}

export interface Bus {
  readonly kind: string;
  /** Queues `task` for `role`. Resolves once the task is durably queued. */
  publish(role: string, task: Task): Promise<void>;
  /** Competes with every other consumer of `role` for its tasks. */
  consume(role: string, handler: DeliveryHandler, options: ConsumeOptions): BusConsumer;
  /** Tasks waiting in `role`'s queue (best effort). */
  depth(role: string): number;
  /**
   * Called by the driver before it feeds a run: a distributed bus publishes the definition so remote
   * workers start serving the run's roles (NATS: a KV registry). Optional; the local bus needs none.
   */
  openRun?(run: {
    runId: string;
    definition: PipelineDefinition;
    /** The bundles of the pipeline's modules by name, which remote workers cannot read from disk. */
    modules?: Readonly<Record<string, { path: string; code: string }>>;
    /** The LLM remote workers use for the run's chat roles (never keys). */
    llm?: LlmSelection;
    /** What decides task ids and seeds, for a driver that adopts the run later. */
    settings?: { trials: number; idField: string; seed: number };
    /** Signs the run's record (trust/run-signature.ts). */
    sign?: (record: object) => RunSignature;
  }): Promise<void>;
  /** Called when the run ends or is cancelled: withdraw the run, delete its offloaded objects (and module bundles). */
  closeRun?(runId: string): Promise<void>;
  /** Events (hop-end) emitted by remote agents of `runId`, delivered to the driver. Returns unsubscribe. */
  onEvent?(runId: string, listener: (event: RunEvent) => void): () => void;
  /**
   * Answers control requests for `runId` from other processes (`matrix dlq ... --nats URL --run ID`).
   * Optional: a bus other processes cannot reach needs none. Returns the function that stops answering.
   */
  onControl?(
    runId: string,
    handler: (request: { op: string } & Record<string, unknown>) => Promise<unknown>,
  ): () => void;
  /**
   * A key-value store with compare-and-set shared by every agent of `runId` on every machine, one per
   * `name` (a role's): in memory on the local bus, a JetStream KV bucket on NATS. Dropped with the run.
   */
  sharedStore?(runId: string, name: string): SharedStore;
  /** Closes queues and connections. Safe to call twice. */
  close(): Promise<void>;
}
