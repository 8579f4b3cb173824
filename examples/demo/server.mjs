// The demo: a local app server with a token endpoint behind a session cookie, built with
// createTokenHandler. With no COURIER_API_KEY it issues tokens through a local Courier (no account
// needed) whose Inbox API the page's real <courier-inbox> talks to; with one, through Courier itself.
// The page shows the token manager at work and the Inbox staying live across refreshes.
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { startLocalCourier } from '../local-courier/local-courier.mjs'

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const here = resolve(fileURLToPath(new URL('.', import.meta.url)))
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.css': 'text/css',
  '.map': 'application/json',
}

// What the browser may load: the page, the built library and its three dependencies.
const staticFolders = (dist) => [
  ['/dist/', dist],
  ['/node_modules/ky/', join(root, 'node_modules/ky')],
  ['/node_modules/jwt-decode/', join(root, 'node_modules/jwt-decode')],
  ['/node_modules/mitt/', join(root, 'node_modules/mitt')],
  // The real Inbox and Toast.
  ['/node_modules/@trycourier/', join(root, 'node_modules/@trycourier')],
  ['/', here],
]

/** Backend behaviours the page can switch to, to watch the manager handle each failure. */
export const MODES = ['ok', 'fail', 'hang', 'unauthorized', 'no-scopes', 'html']

/**
 * Starts the demo server. `lifetime` is the token lifetime, short so refreshes happen while you watch.
 * `courier`: Courier to issue tokens through and mount the Inbox against, `{ apiKey, baseUrl?, apiUrls? }`;
 * by default a local Courier started with the demo (the page can send test messages through it);
 * `false` for the development issuer alone, without an Inbox. `dist` is the built library to serve
 * and use (default: the package's dist/).
 */
export async function startDemo({
  port = Number(process.env.PORT ?? 0),
  host = '127.0.0.1',
  lifetime = '20s',
  courier: given,
  dist = join(root, 'dist'),
} = {}) {
  const { createDevIssuer, createTokenHandler } = await import(pathToFileURL(join(dist, 'server.js')).href)
  const STATIC = staticFolders(dist)
  const issuer = createDevIssuer({ lifetime })
  const local = given === undefined ? await startLocalCourier() : undefined
  const courier = local ? { apiKey: local.apiKey, baseUrl: local.baseUrl, apiUrls: local.apiUrls } : given || undefined
  const sessions = new Map()
  const hanging = new Set()
  // The app's session decides the user: getUserId reads the session cookie, nothing else.
  const sessionOf = (request) => sessions.get(/(?:^|;\s*)demo_session=([\w-]+)/.exec(request.headers.get('cookie') ?? '')?.[1])
  const endpoint = (features) =>
    createTokenHandler({
      ...(courier
        ? { apiKey: courier.apiKey, ...(courier.baseUrl ? { baseUrl: courier.baseUrl } : {}) }
        : { apiKey: 'development', fetch: issuer.fetch }),
      getUserId: (request) => sessionOf(request)?.userId,
      features,
      expiresIn: lifetime,
      onError: (error) => console.error(`demo token endpoint: ${error.message}`),
    })
  const tokens = endpoint(['inbox'])
  const tokensWithoutInbox = endpoint([])

  const server = createServer((request, response) =>
    serve(request, response).catch((error) => {
      // One odd request (a method Request refuses, say) must not take the demo down.
      console.error(`demo: ${request.method} ${request.url}: ${error.message}`)
      if (!response.headersSent) response.writeHead(500, { 'cache-control': 'no-store' })
      response.end()
    }),
  )

  async function serve(request, response) {
    const url = new URL(request.url ?? '/', 'http://demo')
    const sessionId = /(?:^|;\s*)demo_session=([\w-]+)/.exec(request.headers.cookie ?? '')?.[1]
    const session = sessionId ? sessions.get(sessionId) : undefined
    const send = (status, body, headers = {}) => {
      response.writeHead(status, { 'cache-control': 'no-store', ...headers })
      response.end(body)
    }
    const json = (status, value) => send(status, JSON.stringify(value), { 'content-type': 'application/json' })

    if (url.pathname === '/api/generate-courier-jwt') {
      if (session) session.requests++
      switch (session?.mode) {
        case 'fail':
          return json(503, { message: 'Backend down (demo)' })
        case 'unauthorized':
          return json(401, { message: 'Session expired (demo)' })
        case 'html':
          return send(200, '<!doctype html><title>App</title>', { 'content-type': 'text/html' })
        case 'hang':
          hanging.add(response)
          response.on('close', () => hanging.delete(response))
          return
        default: {
          const handler = session?.mode === 'no-scopes' ? tokensWithoutInbox : tokens
          const answer = await handler(
            new Request(`http://demo${request.url}`, { method: request.method, headers: { cookie: request.headers.cookie ?? '' } }),
          )
          return send(answer.status, await answer.text(), Object.fromEntries(answer.headers))
        }
      }
    }
    if (url.pathname === '/api/demo/config') {
      // What the page needs to mount the real Inbox; never the API key.
      return json(200, { courier: !!courier, local: !!local, apiUrls: courier?.apiUrls ?? null, lifetime })
    }
    if (url.pathname === '/api/demo/send' && request.method === 'POST') {
      // A Courier send to the Inbox channel, through the local Courier: stored and pushed over the socket.
      if (!session || !local)
        return json(400, { message: local ? 'No demo session: open the page first.' : 'Sending needs the local Courier.' })
      const sent = ++session.sent
      return json(
        200,
        local.send(session.userId, {
          title: `Test message ${sent}`,
          preview: `Sent at ${new Date().toLocaleTimeString('en-GB')} through the local Courier.`,
        }),
      )
    }
    if (url.pathname === '/api/demo/mode' && request.method === 'POST') {
      const mode = url.searchParams.get('value')
      if (!session || !MODES.includes(mode)) return json(400, { message: `mode must be one of ${MODES.join(', ')}` })
      session.mode = mode
      return json(200, { mode })
    }
    if (url.pathname === '/api/demo/stats') return json(200, session ? { requests: session.requests, mode: session.mode } : {})

    const headers = {}
    if (url.pathname === '/' || url.pathname === '/index.html') {
      if (!session) {
        const id = randomUUID()
        sessions.set(id, { userId: 'demo-user', mode: 'ok', requests: 0, sent: 0 })
        headers['set-cookie'] = `demo_session=${id}; HttpOnly; SameSite=Lax; Path=/`
      }
      url.pathname = '/index.html'
    }
    for (const [prefix, directory] of STATIC) {
      if (!url.pathname.startsWith(prefix)) continue
      let path
      try {
        path = decodeURIComponent(url.pathname.slice(prefix.length))
      } catch {
        return send(400, 'Bad request') // a malformed escape such as /%
      }
      const file = normalize(join(directory, path))
      if (!file.startsWith(directory + sep)) break // no way out of the folder
      try {
        const body = await readFile(file)
        return send(200, body, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
      } catch {
        break
      }
    }
    send(404, 'Not found')
  }

  // A port in use rejects (error.code EADDRINUSE) instead of an unhandled 'error' event.
  await new Promise((done, fail) => {
    server.once('error', fail)
    server.listen(port, host, () => {
      server.off('error', fail)
      done()
    })
  }).catch(async (error) => {
    await local?.close()
    throw error
  })
  const address = server.address()
  return {
    url: `http://${host}:${address.port}/`,
    sessions,
    local,
    close: async () => {
      await new Promise((done) => {
        for (const response of hanging) response.destroy()
        server.close(() => done())
        server.closeAllConnections()
      })
      await local?.close()
    },
  }
}

/**
 * Builds the library for the demo alone, with esbuild, in well under a second: `npm run demo` needs no
 * type declarations, and `npm run build` (which empties dist/) can run while the demo serves this copy.
 */
async function buildForDemo() {
  const { build } = await import('esbuild')
  const outdir = join(root, 'node_modules/.cache/courier-token-manager-demo')
  await build({
    entryPoints: {
      index: join(root, 'src/index.ts'),
      courier: join(root, 'src/courier/index.ts'),
      server: join(root, 'src/server/index.ts'),
    },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    sourcemap: true,
    external: ['ky', 'jwt-decode', 'mitt', '@trycourier/*', 'node:*'],
    logLevel: 'warning',
  })
  return outdir
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const apiKey = process.env.COURIER_API_KEY
  const courier = apiKey ? { apiKey, ...(process.env.COURIER_BASE_URL ? { baseUrl: process.env.COURIER_BASE_URL } : {}) } : undefined
  const port = Number(process.env.PORT ?? 4173)
  const demo = await startDemo({ port, lifetime: courier ? '2m' : '20s', courier, dist: await buildForDemo() }).catch((error) => {
    console.error(
      error.code === 'EADDRINUSE' ? `courier-token-manager demo: port ${port} is in use. Pick another: PORT=8080 npm run demo` : error,
    )
    process.exit(1)
  })
  console.log(`courier-token-manager demo: ${demo.url}`)
  console.log(
    courier
      ? 'Tokens come from Courier (COURIER_API_KEY) and live 2 minutes; the page mounts your real Inbox for user demo-user.'
      : 'Tokens come from a local Courier and live 20 seconds: open the page, watch them refresh, and send yourself messages.',
  )
  console.log('Ctrl+C to stop.')
}
