import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    restoreMocks: true,
    // A test's console.info (the figures it measured) prints only when it fails, or with VERBOSE=1.
    setupFiles: ['test/helpers/quiet.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          environment: 'happy-dom',
          include: ['test/**/*.test.{ts,tsx}'],
          exclude: ['test/server/**', 'test/e2e/**', 'test/**/*.sdk.test.{ts,tsx}'],
        },
      },
      // The real Courier SDK packages, unmodified, against a loopback stub of Courier's API: real network and timers.
      {
        extends: true,
        test: {
          name: 'sdk',
          environment: 'happy-dom',
          include: ['test/**/*.sdk.test.{ts,tsx}'],
          testTimeout: 30_000,
          fileParallelism: false,
        },
      },
      { extends: true, test: { name: 'server', environment: 'node', include: ['test/server/**/*.test.ts'] } },
      // Real Chromium against the built package: what happy-dom cannot prove.
      {
        extends: true,
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['test/e2e/**/*.test.ts'],
          exclude: ['test/e2e/first-token.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      // Milliseconds in Chromium: measured after every other project, alone, so that no other browser or build shares the cores.
      {
        extends: true,
        test: {
          name: 'timing',
          environment: 'node',
          include: ['test/e2e/first-token.test.ts'],
          testTimeout: 60_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
