import { defineConfig } from 'vitest/config';

// vitest 5 wants Node 22.12+; on Node 20 its reporter crashes on Map.groupBy while
// printing a failed test (and hides the failure). Fill in the two ES2024 helpers it uses,
// in the main vitest process where the reporter runs. No-ops on Node 22 and later.
const collections = { Map, Object } as unknown as Record<'Map' | 'Object', { groupBy?: unknown }>;
if (typeof collections.Map.groupBy !== 'function') {
  collections.Map.groupBy = <T, K>(items: Iterable<T>, key: (item: T, index: number) => K): Map<K, T[]> => {
    const groups = new Map<K, T[]>();
    let index = 0;
    for (const item of items) {
      const k = key(item, index++);
      const group = groups.get(k);
      if (group) group.push(item);
      else groups.set(k, [item]);
    }
    return groups;
  };
}
if (typeof collections.Object.groupBy !== 'function') {
  collections.Object.groupBy = <T>(items: Iterable<T>, key: (item: T, index: number) => PropertyKey) =>
    Object.fromEntries((collections.Map.groupBy as (i: Iterable<T>, k: typeof key) => Map<PropertyKey, T[]>)(items, key));
}

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
