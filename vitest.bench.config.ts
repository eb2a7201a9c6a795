import { defineConfig } from 'vitest/config';

// `npm run bench`: long measurements, one at a time so they do not disturb each other.
export default defineConfig({
  test: {
    include: ['bench/**/*.bench.ts'],
    environment: 'node',
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 3_600_000,
    maxWorkers: 1,
    fileParallelism: false,
    // the reader throughput measurements are skipped in `npm test` unless these are set
    env: { KILN_THROUGHPUT: '1', KILN_PT_BENCH: '1' },
  },
});
