import { defineConfig } from 'vitest/config';
import { sharedTestOptions } from './vitest.config.ts';

/** `npm run test:soak`: the long tests that `npm test` leaves out. */
export default defineConfig({
  test: {
    ...sharedTestOptions,
    include: ['test/**/*.soak.test.ts'],
    exclude: ['**/node_modules/**'],
  },
});
