import { defineConfig } from 'vitest/config';

/** What every run shares: the emulators start once per run in the global setup. */
export const sharedTestOptions = {
  globalSetup: ['test/setup/global-setup.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
  teardownTimeout: 30_000,
  fileParallelism: true,
};

// `npm test`: unit, integration and e2e tests, a quick answer. The soak tests
// (*.soak.test.ts: thousands of records under faults, 64 MiB segments) run with
// `npm run test:soak` (vitest.soak.config.ts), and CI runs both; the benchmarks run on
// their own (`npm run bench`).
export default defineConfig({
  test: {
    ...sharedTestOptions,
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', '**/node_modules/**', '**/*.soak.test.ts'],
  },
});
