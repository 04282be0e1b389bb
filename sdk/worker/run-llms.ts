/**
 * The LLM clients a worker has open, one per distinct LLM selection (plus model), shared by the runs
 * that chose the same one and closed when the last of them leaves. A run that asks for the simulator
 * gets one started here with the run's settings; two runs with different settings get two.
 *
 * Where you are: `worker/`. An open that fails is forgotten at once, so the next attempt (the retry
 * timer, or another run) tries again instead of reusing the failure.
 */
import type { LlmClient } from "../llm/llm-client.js";

export interface OpenedLlm {
  client: LlmClient;
  close(): Promise<void>;
  description: string;
}

interface Entry {
  llm: Promise<OpenedLlm>;
  runs: Set<string>;
}

export class RunLlms {
  private readonly entries = new Map<string, Entry>();

  /** The client for `key`, opening it with `open` if no run holds one; `run` (its token) holds it until `release`. */
  async acquire(key: string, run: string, open: () => Promise<OpenedLlm>): Promise<OpenedLlm> {
    let entry = this.entries.get(key);
    if (entry === undefined) {
      const created: Entry = { llm: open(), runs: new Set() };
      created.llm.catch(() => {
        if (this.entries.get(key) === created) this.entries.delete(key);
      });
      this.entries.set(key, (entry = created));
    }
    entry.runs.add(run);
    try {
      return await entry.llm;
    } catch (error) {
      entry.runs.delete(run);
      throw error;
    }
  }

  /** `run` no longer needs its client; the last user closes it. */
  async release(run: string): Promise<void> {
    for (const [key, entry] of this.entries) {
      if (!entry.runs.delete(run) || entry.runs.size > 0) continue;
      this.entries.delete(key);
      await (await entry.llm.catch(() => undefined))?.close();
    }
  }

  async closeAll(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(entries.map(async (entry) => (await entry.llm.catch(() => undefined))?.close()));
  }
}
