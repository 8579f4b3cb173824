// A consumer's config at vitest's defaults (no deps inlined, no aliases): packages load as Node loads them.
import { defineConfig } from 'vitest/config'

export default defineConfig({ test: { environment: 'happy-dom', testTimeout: 5_000 } })
