/**
 * The dedup index: decides, for each text as it arrives, whether it duplicates one that came before
 * (exactly, after normalisation, or nearly: MinHash with LSH banding), over a SharedStore, so that
 * any number of agents on any number of machines decide consistently.
 *
 * Where you are: `quality/`, used by the `dedup` role (during a run) and by `dedupRecords` (after a
 * run). The store is in memory for one process and a JetStream KV bucket across workers.
 *
 * Why it is safe with concurrent writers (the guarantee the NATS test checks: of two near-duplicates,
 * never both kept; of a group, never none):
 * - exact: `create(hash-of-text)` succeeds for exactly one id; everyone else is its duplicate.
 * - near: each text takes a ticket (the store-wide revision of its signature's `create`), then
 *   appends its id to the bucket of each of its bands with compare-and-set, and looks at the ids it
 *   found there. Of two texts sharing a band, the one that appended second sees the first. A text
 *   that sees a similar text with an earlier ticket is its duplicate. A text that sees a similar text
 *   with a later ticket waits for that text's decision: if it was kept, it did not see this one, so
 *   this one is the duplicate. Waits only point to later tickets, so they never form a cycle; a wait
 *   that times out (the other worker died mid-decision) decides for the other text instead, with
 *   `create`, so whoever writes a decision first wins and both sides adopt it.
 * - near, exact copies first: the one text that wins the copy's `create` goes on to the near check;
 *   every other copy is its duplicate and never enters the band lists (it could only find what the
 *   winner finds). A chain still holds: a copy of a text that is itself dropped is dropped.
 * - a redelivered task finds its own decision and returns it: each duplicate is dropped once.
 * A text similar to an earlier one is dropped even when that one was itself dropped (a chain
 * A ≈ B ≈ C keeps A only), as connected-components dedup does.
 */
import type { XXHashAPI } from "xxhash-wasm";
import type { SharedStore } from "../bus/shared-store.js";
import { BusError } from "../errors.js";
import { hasher } from "./hashing.js";
import { bandKeys, optimalBands, type Banding } from "./lsh-bands.js";
import { decodeSignature, encodeSignature, estimateJaccard, MinHasher, type MinHashOptions } from "./minhash.js";
import { normalizeText } from "./text-tokens.js";

export interface DedupOptions extends MinHashOptions {
  /** `exact`: same text after normalisation; `minhash`: estimated Jaccard ≥ threshold. @default "minhash" */
  method?: "exact" | "minhash";
  /** Estimated Jaccard similarity of shingle sets at which a text is a near-duplicate. @default 0.8 */
  threshold?: number;
  /** LSH bands (rows per band = numPerm / bands). @default the best split for the threshold */
  bands?: number;
  /** How long to wait for a concurrent similar text's decision before deciding for it. @default 10000 */
  waitMs?: number;
}

export interface DedupVerdict {
  /** The id of the earlier text this one duplicates; absent when the text is kept. */
  duplicateOf?: string;
  /** Estimated Jaccard similarity to it (1 for an exact duplicate). */
  similarity?: number;
}

interface SignatureEntry {
  id: string;
  sig: string;
}

/** The settings a DedupIndex runs with, defaults filled in. */
export interface DedupSettings {
  method: "exact" | "minhash";
  threshold: number;
  numPerm: number;
  shingleSize: number;
  shingleUnit: "words" | "chars";
  seed: number;
  banding: Banding;
  waitMs: number;
}

export function dedupSettings(options: DedupOptions = {}): DedupSettings {
  const numPerm = options.numPerm ?? 128;
  const threshold = options.threshold ?? 0.8;
  if (!(threshold > 0 && threshold <= 1)) throw new RangeError("threshold must be in (0, 1]");
  const banding = options.bands
    ? { bands: options.bands, rows: Math.floor(numPerm / options.bands) }
    : optimalBands(threshold, numPerm);
  if (banding.rows < 1) throw new RangeError(`bands (${options.bands}) must not exceed numPerm (${numPerm})`);
  return {
    method: options.method ?? "minhash",
    threshold,
    numPerm,
    shingleSize: options.shingleSize ?? 3,
    shingleUnit: options.shingleUnit ?? "words",
    seed: options.seed ?? 1,
    banding,
    waitMs: options.waitMs ?? 10_000,
  };
}

const MAX_CACHED_SIGNATURES = 50_000;

export class DedupIndex {
  readonly settings: DedupSettings;
  private readonly signatures = new Map<string, { sig: Uint32Array; ticket: number }>();

  private constructor(
    private readonly store: SharedStore,
    private readonly xx: XXHashAPI,
    private readonly minhash: MinHasher,
    settings: DedupSettings,
  ) {
    this.settings = settings;
  }

  static async create(store: SharedStore, options: DedupOptions = {}): Promise<DedupIndex> {
    const settings = dedupSettings(options);
    return new DedupIndex(store, await hasher(), await MinHasher.create(settings), settings);
  }

  private keyOf(text: string): string {
    return this.xx.h64ToString(text);
  }

  /** Whether `text` (the text of record `id`) duplicates a text checked before. Idempotent per id. */
  async check(id: string, text: string): Promise<DedupVerdict> {
    if (this.settings.method === "exact") return this.checkExact(id, text);
    const signature = this.minhash.signature(text);
    // No words (empty, punctuation only): nothing to estimate; such texts are compared exactly.
    if (signature === undefined) return this.checkExact(id, text);
    // An exact copy of a text seen before is its duplicate at once, and stays out of the band lists:
    // a run that produces the same reply thousands of times (a refusal) would otherwise grow one
    // list per band by every copy, and make every later copy compare against all of them.
    const exact = await this.checkExact(id, text);
    if (exact.duplicateOf !== undefined) return exact;
    return this.checkNear(id, signature);
  }

  private async checkExact(id: string, text: string): Promise<DedupVerdict> {
    const key = `x.${this.keyOf(normalizeText(text))}`;
    for (;;) {
      if ((await this.store.create<{ id: string }>(key, { id })) !== undefined) return {};
      const holder = await this.store.get<{ id: string }>(key);
      if (holder === undefined) continue;
      return holder.value.id === id ? {} : { duplicateOf: holder.value.id, similarity: 1 };
    }
  }

  private async checkNear(id: string, signature: Uint32Array): Promise<DedupVerdict> {
    const idKey = this.keyOf(id);
    const { ticket, fresh } = await this.ticket(id, idKey, signature);
    // Only a text seen before (a redelivered task) can have a decision already.
    if (!fresh) {
      const decided = await this.store.get<DedupVerdict>(`d.${idKey}`);
      if (decided) return decided.value;
    }
    const lists = await Promise.all(
      bandKeys(signature, this.settings.banding, this.xx).map((band) => this.register(`b.${band}`, id)),
    );
    const seen = new Set<string>();
    const earlier: Array<{ id: string; ticket: number; similarity: number }> = [];
    const later: Array<{ id: string; ticket: number; similarity: number }> = [];
    for (const list of lists) {
      for (const other of list) {
        if (other === id || seen.has(other)) continue;
        seen.add(other);
        const known = await this.signatureOf(other);
        if (!known) continue;
        const similarity = estimateJaccard(signature, known.sig);
        if (similarity < this.settings.threshold) continue;
        (known.ticket < ticket ? earlier : later).push({ id: other, ticket: known.ticket, similarity });
      }
    }
    let verdict: DedupVerdict = {};
    if (earlier.length > 0) {
      const first = earlier.reduce((a, b) => (b.ticket < a.ticket ? b : a));
      verdict = { duplicateOf: first.id, similarity: first.similarity };
    } else {
      for (const other of later.sort((a, b) => a.ticket - b.ticket)) {
        const theirs = await this.decisionOf(other.id, { duplicateOf: id, similarity: other.similarity });
        if (theirs.duplicateOf === undefined) {
          // It was kept without seeing this text, so this one is the duplicate.
          verdict = { duplicateOf: other.id, similarity: other.similarity };
          break;
        }
      }
    }
    return this.decide(idKey, verdict);
  }

  /**
   * The store-wide revision of this id's signature: its place in the order of arrival. `fresh` is
   * false when the signature was there already (the same task checked again).
   */
  private async ticket(id: string, idKey: string, signature: Uint32Array): Promise<{ ticket: number; fresh: boolean }> {
    const key = `s.${idKey}`;
    const created = await this.store.create<SignatureEntry>(key, { id, sig: encodeSignature(signature) });
    if (created !== undefined) {
      this.remember(id, signature, created);
      return { ticket: created, fresh: true };
    }
    const existing = await this.store.get<SignatureEntry>(key);
    if (!existing) throw new BusError(`Dedup store lost the signature of '${id}' it had just refused to overwrite.`);
    return { ticket: existing.revision, fresh: false };
  }

  /**
   * Appends `id` to a band's bucket (compare-and-set); returns the bucket as written (everyone
   * before, and this id). Most bands of a text are new, so `create` comes first: one round trip.
   */
  private async register(key: string, id: string): Promise<readonly string[]> {
    if ((await this.store.create(key, [id])) !== undefined) return [id];
    for (;;) {
      const entry = await this.store.get<string[]>(key);
      if (entry === undefined) {
        if ((await this.store.create(key, [id])) !== undefined) return [id];
        continue;
      }
      if (entry.value.includes(id)) return entry.value;
      const next = [...entry.value, id];
      if ((await this.store.update(key, next, entry.revision)) !== undefined) return next;
    }
  }

  private remember(id: string, sig: Uint32Array, ticket: number): void {
    if (this.signatures.size >= MAX_CACHED_SIGNATURES) this.signatures.clear();
    this.signatures.set(id, { sig, ticket });
  }

  private async signatureOf(id: string): Promise<{ sig: Uint32Array; ticket: number } | undefined> {
    const cached = this.signatures.get(id);
    if (cached) return cached;
    const entry = await this.store.get<SignatureEntry>(`s.${this.keyOf(id)}`);
    if (!entry) return undefined;
    const sig = decodeSignature(entry.value.sig);
    if (sig.length !== this.settings.numPerm) return undefined;
    this.remember(id, sig, entry.revision);
    return { sig, ticket: entry.revision };
  }

  /**
   * The decision of a later text, waiting for it; after `waitMs` (its worker may have died) this side
   * decides for it with `fallback`. `create` lets exactly one decision stand, and both sides adopt it.
   */
  private async decisionOf(id: string, fallback: DedupVerdict): Promise<DedupVerdict> {
    const key = `d.${this.keyOf(id)}`;
    const entry = await this.store.waitFor<DedupVerdict>(key, this.settings.waitMs);
    if (entry) return entry.value;
    if ((await this.store.create(key, fallback)) !== undefined) return fallback;
    return (await this.store.get<DedupVerdict>(key))?.value ?? fallback;
  }

  private async decide(idKey: string, verdict: DedupVerdict): Promise<DedupVerdict> {
    const key = `d.${idKey}`;
    if ((await this.store.create(key, verdict)) !== undefined) return verdict;
    return (await this.store.get<DedupVerdict>(key))?.value ?? verdict;
  }
}
