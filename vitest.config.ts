import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real servers on loopback; two workers keep the 2-core machine responsive.
    maxWorkers: 2,
    reporters: ["default", "./test/summary-reporter.ts"],
  },
});
