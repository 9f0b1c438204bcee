import { defineConfig } from 'vitest/config';

// One `vitest run` covers unit, integration and e2e tests. The emulators start once per
// run in the global setup; the benchmarks run on their own (`npm run bench`).
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/bench/**', '**/node_modules/**'],
    globalSetup: ['test/setup/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    fileParallelism: true,
  },
});
