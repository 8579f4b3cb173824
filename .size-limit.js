// Measured the way ../shared/anchors.md measured the alternatives: esbuild, browser, ESM, minified, gzip -9.
const esm = (config) => ({ ...config, format: 'esm', platform: 'browser' })
const DEPENDENCIES = ['ky', 'jwt-decode', 'mitt']

export default [
  {
    name: 'root entry, with ky + jwt-decode + mitt',
    path: 'dist/index.js',
    import: '*',
    gzip: true,
    limit: '8 kB',
    modifyEsbuildConfig: esm,
  },
  {
    name: 'root entry, our own code alone',
    path: 'dist/index.js',
    import: '*',
    ignore: DEPENDENCIES,
    gzip: true,
    limit: '3.75 kB',
    modifyEsbuildConfig: esm,
  },
]
