// Measured the way ../shared/anchors.md measured the alternatives: esbuild, browser, ESM, minified, gzip -9.
const esm = (config) => ({ ...config, format: 'esm', platform: 'browser' })
const DEPENDENCIES = ['ky', 'jwt-decode', 'mitt']
// The adapters' own code: React and courier-js are the app's, never ours to count.
const PEERS = ['react', '@trycourier/courier-js']

export default [
  {
    name: 'root entry, with ky + jwt-decode + mitt',
    path: 'dist/index.js',
    import: '*',
    gzip: true,
    limit: '9000 B', // issue 13: 8 kB for the core, +1 kB for cross-tab
    modifyEsbuildConfig: esm,
  },
  {
    name: 'root entry, our own code alone',
    path: 'dist/index.js',
    import: '*',
    ignore: DEPENDENCIES,
    gzip: true,
    // Issue 13 settled it: the plain-words messages stay, and our own code stays within 4,800 B.
    limit: '4800 B',
    modifyEsbuildConfig: esm,
  },
  {
    name: 'courier-token-manager/courier (connectCourier)',
    path: 'dist/courier.js',
    import: '*',
    ignore: PEERS,
    gzip: true,
    limit: '1.3 kB',
    modifyEsbuildConfig: esm,
  },
  {
    name: 'courier-token-manager/react (all three hooks)',
    path: 'dist/react.js',
    import: '*',
    ignore: PEERS,
    gzip: true,
    limit: '1.75 kB',
    modifyEsbuildConfig: esm,
  },
]
