import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Each file runs in its own worker and its own database, so files run in parallel.
    pool: 'forks',
    // Most files wait (child processes, the platforms' real rate limits, a browser) rather than
    // compute: four at once on two cores halves the wall time (about 340 s -> 195 s measured).
    maxWorkers: 4,
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
