/**
 * The `dedup` role: drops a task whose field duplicates (exactly, or nearly by MinHash) one that
 * came before it in the run; `state[role]` says which (`duplicateOf`, `similarity`).
 *
 * Where you are: `quality/`; agent/role-handler.ts maps `kind: "dedup"` here. The index lives in the
 * bus's shared store for the run and role: memory on the local bus, a JetStream KV bucket on NATS,
 * so every worker decides against the same index and each duplicate is dropped exactly once (see
 * dedup-index.ts). A bus without a shared store gets one in this process's memory.
 */
import type { Handler } from "../agent/task-update.js";
import type { Bus } from "../bus/bus.js";
import { MemorySharedStore } from "../bus/memory-shared-store.js";
import type { DedupRoleDefinition } from "../schema/pipeline-definition.js";
import { DedupIndex } from "./dedup-index.js";
import { textOf } from "./text-field.js";

export function dedupAgent(role: string, definition: DedupRoleDefinition, bus?: Bus): Handler {
  const indexes = new Map<string, Promise<DedupIndex>>();
  const indexFor = (runId: string): Promise<DedupIndex> => {
    let index = indexes.get(runId);
    if (index === undefined) {
      const store = bus?.sharedStore?.(runId, role) ?? new MemorySharedStore();
      index = DedupIndex.create(store, definition);
      index.catch(() => indexes.delete(runId));
      indexes.set(runId, index);
    }
    return index;
  };
  return async (task, ctx) => {
    const text = await textOf(task, definition.field ?? "last", ctx.content);
    const verdict = await (await indexFor(task.runId)).check(task.id, text);
    if (verdict.duplicateOf === undefined) return undefined;
    return { state: { [role]: verdict }, end: "filtered", reason: "duplicate" };
  };
}
