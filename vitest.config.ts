import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    // Files run in parallel, each in its own database. A worker process runs file after file
    // without loading the modules again (isolate: false): loading the service's modules for
    // every file was a third of the suite's CPU (280 -> 206 s). Each file leaves the process
    // as it found it (test/helpers/file-cleanup.ts checks the database connections).
    pool: 'forks',
    isolate: false,
    setupFiles: ['test/helpers/file-cleanup.ts'],
    // Most files wait (child processes, the platforms' real rate limits, a browser) rather than
    // compute: four at once on two cores halves the wall time (about 340 s -> 195 s measured).
    maxWorkers: 4,
    // Limits for a hang, not for speed: on a loaded machine (load average 17 on two cores) a
    // test that takes 8 s alone took over 20 s. Waits inside tests are for conditions.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    expect: { poll: { timeout: 10_000 } },
  },
});
