import { rmSync } from 'node:fs'
import { defineConfig, type Options } from 'tsup'

rmSync('dist', { recursive: true, force: true })

const shared: Options = {
  entry: { index: 'src/index.ts', courier: 'src/courier/index.ts', react: 'src/react/index.ts', server: 'src/server/index.ts' },
  target: 'es2022',
  dts: true,
  sourcemap: true,
}

export default defineConfig([
  { ...shared, format: 'esm' },
  // ky ships ESM only; the CommonJS build carries its own copy so `require()` works on every Node.
  { ...shared, format: 'cjs', noExternal: ['ky'] },
  // The courier-token command line.
  { entry: { cli: 'src/server/cli.ts' }, format: 'esm', platform: 'node', target: 'node18', banner: { js: '#!/usr/bin/env node' } },
])
