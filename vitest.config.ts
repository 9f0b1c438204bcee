import { defineConfig } from 'vitest/config';
import { SlowestFirstSequencer } from './test/setup/sequencer.ts';

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
    // Each worker process runs file after file, keeping the modules it loaded (the AWS SDK,
    // tsx's transforms) instead of a fresh process per file: a fifth less CPU on two cores.
    // Test files are still evaluated afresh; none relies on a fresh process (env stubs are
    // undone, fake timers restored, servers closed in afterAll).
    isolate: false,
    // Two files at a time. Vitest's default leaves one core free (cores - 1), which on a
    // two-core machine runs the files one after another; but most of their time is spent
    // waiting for DynamoDB Local, the S3 emulator and child processes, not computing.
    maxWorkers: 2,
    // Longest files first, also in a fresh clone (see the sequencer).
    sequence: { sequencer: SlowestFirstSequencer },
  },
});
