import { defineConfig } from 'vite'
import { exampleConfig } from '../vite.shared.ts'

// Quiet builds, but the dev server prints the URL to open.
export default defineConfig(({ command }) => ({ ...exampleConfig, ...(command === 'serve' ? { logLevel: 'info' } : {}) }))
