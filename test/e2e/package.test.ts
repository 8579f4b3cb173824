// The built package, as users import it, against a real HTTP server on loopback.
import { execFile } from 'node:child_process'
import { createServer, type Server } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

type Root = typeof import('../../src/index')
type ServerEntry = typeof import('../../src/server/index')

const require = createRequire(import.meta.url)
const run = promisify(execFile)
let server: Server
let url: string
let requests = 0

beforeAll(async () => {
  const { createDevIssuer } = (await import('../../dist/server.js')) as unknown as ServerEntry
  const issuer = createDevIssuer({ lifetime: '1h' })
  server = createServer(async (request, response) => {
    requests++
    // A token route behind login middleware, as many server-rendered apps have: no session, a 302 to the login page.
    if (request.url === '/behind-login') return void response.writeHead(302, { location: '/login' }).end()
    if (request.url === '/login') return void response.writeHead(200, { 'content-type': 'text/html' }).end('<form method="post"></form>')
    if (request.headers.authorization !== 'Bearer session') {
      response.writeHead(401).end()
      return
    }
    const { token } = await issuer.issueToken({ scope: 'user_id:carol inbox:read:messages inbox:write:events' })
    response.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'no-store' }).end(token)
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`
})

afterAll(() => new Promise<void>((done) => server.close(() => done())))

describe.each([
  ['ESM', async () => (await import('../../dist/index.js')) as unknown as Root],
  ['CommonJS', async () => require('../../dist/index.cjs') as Root],
])('the built %s entry', (format, load) => {
  it('fetches, refreshes and decodes a token over real HTTP', async () => {
    const { createTokenManager, diagnoseToken } = await load()
    const manager = createTokenManager({ url, request: { headers: { authorization: 'Bearer session' } } })
    const before = requests
    const first = await manager.start()
    const second = await manager.refresh()
    manager.stop()
    expect(first.userId).toBe('carol')
    expect(second.token).not.toBe(first.token)
    expect(second.expiresAt! - Date.now()).toBeGreaterThan(59 * 60_000)
    expect(requests - before).toBe(2)
    expect(diagnoseToken(second.token, { features: ['inbox'] })).toEqual([])
  })

  // What the README promises Node users: a started manager never keeps the process alive, with its channel
  // open or not; the process exits with the manager still running. A child process: this one's resources are vitest's.
  it.each([{ crossTab: true }, { crossTab: false }])(
    'under Node with crossTab: $crossTab, never keeps the process alive',
    async ({ crossTab }) => {
      const script = `
      const refs = () => process.getActiveResourcesInfo().filter((kind) => kind === 'MessagePort' || kind === 'Timeout')
      ;(${format === 'ESM'} ? import('./dist/index.js') : Promise.resolve(require('./dist/index.cjs'))).then(async ({ createTokenManager }) => {
        const manager = createTokenManager({ url: '${url}', crossTab: ${crossTab}, request: { headers: { authorization: 'Bearer session' } } })
        globalThis.manager = manager
        await manager.start()
        process.on('exit', () => console.log(JSON.stringify({ status: manager.status, refs: refs() })))
      })`
      const { stdout } = await run(process.execPath, ['-e', script], { timeout: 10_000 })
      expect(JSON.parse(stdout)).toEqual({ status: 'ready', refs: [] })
    },
  )

  it('says an HTML page reached through a real redirect may be a sign-in page', async () => {
    const { createTokenManager, isTokenManagerError } = await load()
    const behindLogin = url.replace('/token', '/behind-login')
    const manager = createTokenManager({ url: behindLogin, crossTab: false })
    const error = await manager.start().catch((caught: unknown) => caught)
    manager.stop()
    expect(isTokenManagerError(error) && error.code).toBe('invalid-response')
    expect((error as Error).message).toBe(`${behindLogin} sent text/html, not a JWT (redirected to a sign-in page?).`)
  })

  it('reports a 401 from the backend as unauthenticated', async () => {
    const { createTokenManager, isTokenManagerError } = await load()
    const manager = createTokenManager({ url })
    const error = await manager.start().catch((caught: unknown) => caught)
    manager.stop()
    expect(isTokenManagerError(error) && error.code).toBe('unauthenticated')
    expect(manager.status).toBe('stopped')
  })
})

describe('the adapter entries', () => {
  it.each([
    ['courier', ['connectCourier']],
    ['react', ['useCourierAuthorization', 'useCourierSignIn', 'useTokenManager']],
  ])('courier-token-manager/%s loads as ESM and CommonJS with the same exports', async (entry, names) => {
    const esm = (await import(`../../dist/${entry}.js`)) as Record<string, unknown>
    const cjs = require(`../../dist/${entry}.cjs`) as Record<string, unknown>
    expect(Object.keys(esm).sort()).toEqual(names)
    expect(Object.keys(cjs).sort()).toEqual(names)
    for (const name of names) expect(typeof esm[name]).toBe('function')
  })

  // Node's own loader, in a child process: vitest transforms dist/ and hands it courier-js however it is built.
  // courier-js 3 has no exports map, so Node gives an ES module its CommonJS build, which exports nothing by name
  // there (only `default`): `import { Courier }` failed to link under Node, in vitest for an app's tests (node_modules
  // are loaded by Node) and in Vite SSR. Node apps get courier-js as CommonJS too: connectCourier must sign in theirs.
  it.each([
    ['ESM', ['--input-type=module'], "import courierJs from '@trycourier/courier-js'", 'await import', 'courier.js'],
    ['CommonJS', [], "const courierJs = require('@trycourier/courier-js')", 'require', 'courier.cjs'],
  ])(
    'courier-token-manager/courier loads under Node as %s, and signs in the Courier.shared the app imports',
    async (_format, flags, app, load, file) => {
      const script = `${app}
      const { connectCourier } = ${load}(${JSON.stringify(fileURLToPath(new URL(`../../dist/${file}`, import.meta.url)))})
      const listeners = []
      connectCourier({ on: (event, listener) => (event === 'token' && listeners.push(listener), () => {}), current: undefined })
      for (const listener of listeners) listener({ token: 'a.b.c', userId: 'carol' })
      console.log(typeof connectCourier, courierJs.Courier.shared.client?.options.userId)`
      const { stdout } = await run(process.execPath, [...flags, '-e', script])
      expect(stdout.trim()).toBe('function carol')
    },
  )

  it('keeps the server entry out of the browser entries, and Node built-ins out of the server entry (edge runtimes)', async () => {
    const { readFile } = await import('node:fs/promises')
    const read = (file: string) => readFile(new URL(`../../dist/${file}`, import.meta.url), 'utf8')
    for (const file of ['index.js', 'courier.js', 'react.js']) {
      expect(await read(file)).not.toMatch(/issue-token|createTokenHandler|server\.js/)
    }
    for (const file of ['server.js', 'server.cjs']) expect(await read(file)).not.toMatch(/["']node:|require\(["'](http|crypto|fs)["']\)/)
  })

  it('keeps React and Courier out of the root entry', async () => {
    const { readFile } = await import('node:fs/promises')
    for (const file of ['index.js', 'index.cjs']) {
      const code = await readFile(new URL(`../../dist/${file}`, import.meta.url), 'utf8')
      expect(code).not.toMatch(/from ['"](react|@trycourier\/[\w-]+)['"]|require\(['"](react|@trycourier\/[\w-]+)['"]\)/)
    }
  })
})
