import { configDefaults, defineConfig } from 'vitest/config';

/**
 * Two groups, run one after the other: everything, two files at a time; then the timing test
 * alone. test/e2e/responsive-ui measures the page's main-thread delays while a 1 GB conversion
 * runs, and a GPU test running beside it on SwiftShader (which takes every core) once stretched a
 * 20 ms task to 254 ms of wall time; alone it measures the app, not the neighbour.
 */
const ALONE = ['test/e2e/responsive-ui.test.ts'];

export default defineConfig({
  test: {
    environment: 'node',
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'all', include: ['test/**/*.test.ts'], exclude: [...configDefaults.exclude, ...ALONE], sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'alone', include: ALONE, sequence: { groupOrder: 1 } } },
    ],
  },
});
