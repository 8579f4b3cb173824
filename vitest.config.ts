import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    restoreMocks: true,
    projects: [
      {
        extends: true,
        test: { name: 'unit', environment: 'happy-dom', include: ['test/**/*.test.ts'], exclude: ['test/server/**', 'test/e2e/**'] },
      },
      { extends: true, test: { name: 'server', environment: 'node', include: ['test/server/**/*.test.ts'] } },
      // Real Chromium against the built package: what happy-dom cannot prove.
      { extends: true, test: { name: 'e2e', environment: 'node', include: ['test/e2e/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 } },
    ],
  },
})
