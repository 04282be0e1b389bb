import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real servers on loopback; two workers keep the 2-core machine responsive.
    maxWorkers: 2,
    // Expected failures (bad rows, retried hops) log warnings; keep test output readable.
    env: { MATRIX_LOG_LEVEL: process.env.MATRIX_LOG_LEVEL ?? "error" },
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});
