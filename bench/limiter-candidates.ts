/**
 * Benchmark behind the keep-or-switch decision for the pool's limits: CPU per acquire/release (or per take)
 * of our `ConcurrencyLimiter` and `TokenBucket` against the kept libraries that do a similar job, each
 * around one awaited `setImmediate` (the bare await is measured too; subtract it). Prints figures, asserts
 * nothing; medians of 5 rounds, ranges beside them.
 *
 * Where you are: `bench/`. The candidates are not project dependencies; install them for a run without
 * saving: `npm i --no-save p-queue@9 p-limit@7 limiter@4`, then `npx tsx bench/limiter-candidates.ts`.
 * A candidate that is not installed is skipped with a note.
 */
import { setMaxListeners } from "node:events";
import { ConcurrencyLimiter } from "../sdk/llm/concurrency-limiter.js";
import { TokenBucket } from "../sdk/llm/token-bucket.js";

type Operation = () => Promise<void>;
// Optional packages: imported by a computed name so the type-check does not need them installed.
const optional = async (name: string): Promise<any> => import(name).catch(() => undefined);

const OPERATIONS = 200_000;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function microsecondsPerOperation(workers: number, operation: Operation): Promise<number> {
  let left = OPERATIONS;
  const since = process.cpuUsage();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (left-- > 0) await operation();
    }),
  );
  const used = process.cpuUsage(since);
  return (used.user + used.system) / OPERATIONS;
}

async function main(): Promise<void> {
  const [pQueue, pLimit, limiter] = await Promise.all([optional("p-queue"), optional("p-limit"), optional("limiter")]);
  for (const [name, module] of Object.entries({ "p-queue": pQueue, "p-limit": pLimit, limiter })) {
    if (!module) process.stdout.write(`(${name} is not installed: skipped)\n`);
  }
  const figures = new Map<string, number[]>();
  for (let round = 0; round < 5; round++) {
    // One caller with no limit (the default endpoint), then 64 callers on 8 slots (a sized endpoint).
    for (const workers of [1, 64]) {
      const slots = workers === 1 ? Infinity : 8;
      const signal = new AbortController().signal;
      // One signal shared by 64 waiting callers (the pool gives each call its own).
      setMaxListeners(Infinity, signal);
      const cases: [string, Operation][] = [["bare await", tick]];
      const ours = new ConcurrencyLimiter(slots);
      cases.push([
        "ConcurrencyLimiter (ours)",
        async () => {
          const release = await ours.acquire(signal);
          try {
            await tick();
          } finally {
            release();
          }
        },
      ]);
      if (pQueue) {
        const queue = new pQueue.default({ concurrency: slots });
        cases.push(["p-queue add(fn, { signal })", () => queue.add(tick, { signal })]);
      }
      if (pLimit) {
        const limit = pLimit.default(slots);
        cases.push(["p-limit (no abort)", () => limit(tick)]);
      }
      const bucket = new TokenBucket(1e12);
      cases.push([
        "TokenBucket take(1) + take(300) (ours)",
        async () => {
          await bucket.take(1, signal);
          await bucket.take(300, signal);
          await tick();
        },
      ]);
      if (limiter) {
        const other = new limiter.TokenBucket({ bucketSize: 1e10, tokensPerInterval: 1e12, interval: 60_000 });
        cases.push([
          "limiter removeTokens(1) + (300)",
          async () => {
            await other.removeTokens(1);
            await other.removeTokens(300);
            await tick();
          },
        ]);
      }
      for (const [name, operation] of cases) {
        const key = `${name}, ${workers === 1 ? "1 caller, no limit" : "64 callers, 8 slots"}`;
        figures.set(key, [...(figures.get(key) ?? []), await microsecondsPerOperation(workers, operation)]);
      }
    }
  }
  for (const [key, values] of figures) {
    const sorted = [...values].sort((a, b) => a - b);
    process.stdout.write(
      `${key}: ${sorted[2]!.toFixed(2)} us CPU per operation (${sorted[0]!.toFixed(2)}-${sorted.at(-1)!.toFixed(2)})\n`,
    );
  }
}

await main();
