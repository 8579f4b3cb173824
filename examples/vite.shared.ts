// Shared Vite settings for the examples: they import the built package, as an app would.
import { fileURLToPath } from 'node:url'
import type { UserConfig } from 'vite'

const dist = (file: string) => fileURLToPath(new URL(`../dist/${file}`, import.meta.url))

export const exampleConfig: UserConfig = {
  resolve: {
    alias: [
      { find: /^courier-token-manager\/courier$/, replacement: dist('courier.js') },
      { find: /^courier-token-manager\/react$/, replacement: dist('react.js') },
      { find: /^courier-token-manager$/, replacement: dist('index.js') },
    ],
  },
  // `npm run demo` serves a token endpoint on 4173; the examples use it in development. It answers a
  // signed-in demo session only: its page sets that cookie for 127.0.0.1, so serve the examples on that host too.
  server: { host: '127.0.0.1', proxy: { '/api': 'http://127.0.0.1:4173' } },
  build: { emptyOutDir: true, chunkSizeWarningLimit: 1_000 },
  logLevel: 'warn',
}
