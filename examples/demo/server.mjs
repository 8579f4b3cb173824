// The demo: a local app server with a token endpoint behind a session cookie, backed by the
// development issuer, and a page that shows the token manager at work. No Courier account needed.
import { randomUUID } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { extname, join, normalize, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { createDevIssuer } from '../../dist/server.js'

const root = resolve(fileURLToPath(new URL('../..', import.meta.url)))
const here = resolve(fileURLToPath(new URL('.', import.meta.url)))
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.map': 'application/json' }

// What the browser may load: the page, the built library and its three dependencies.
const STATIC = [
  ['/dist/', join(root, 'dist')],
  ['/node_modules/ky/', join(root, 'node_modules/ky')],
  ['/node_modules/jwt-decode/', join(root, 'node_modules/jwt-decode')],
  ['/node_modules/mitt/', join(root, 'node_modules/mitt')],
  ['/', here],
]

/** Backend behaviours the page can switch to, to watch the manager handle each failure. */
export const MODES = ['ok', 'fail', 'hang', 'unauthorized', 'no-scopes', 'html']

/**
 * Starts the demo server. `lifetime` is the token lifetime, short so refreshes happen while you watch.
 * @returns {Promise<{ url: string, sessions: Map<string, { mode: string, requests: number }>, close(): Promise<void> }>}
 */
export async function startDemo({ port = Number(process.env.PORT ?? 0), host = '127.0.0.1', lifetime = '20s' } = {}) {
  const issuer = createDevIssuer({ lifetime })
  const sessions = new Map()
  const hanging = new Set()

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://demo')
    const sessionId = /(?:^|;\s*)demo_session=([\w-]+)/.exec(request.headers.cookie ?? '')?.[1]
    const session = sessionId ? sessions.get(sessionId) : undefined
    const send = (status, body, headers = {}) => {
      response.writeHead(status, { 'cache-control': 'no-store', ...headers })
      response.end(body)
    }
    const json = (status, value) => send(status, JSON.stringify(value), { 'content-type': 'application/json' })

    if (url.pathname === '/api/generate-courier-jwt') {
      // The app's own session decides the user; nothing in the request can choose it.
      if (!session) return json(401, { message: 'Not signed in' })
      session.requests++
      switch (session.mode) {
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
          const scopes = session.mode === 'no-scopes' ? '' : ' inbox:read:messages inbox:write:events'
          return json(200, await issuer.issueToken({ scope: `user_id:${session.userId}${scopes}` }))
        }
      }
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
        sessions.set(id, { userId: 'demo-user', mode: 'ok', requests: 0 })
        headers['set-cookie'] = `demo_session=${id}; HttpOnly; SameSite=Lax; Path=/`
      }
      url.pathname = '/index.html'
    }
    for (const [prefix, directory] of STATIC) {
      if (!url.pathname.startsWith(prefix)) continue
      const file = normalize(join(directory, decodeURIComponent(url.pathname.slice(prefix.length))))
      if (!file.startsWith(directory + sep)) break // no way out of the folder
      try {
        const body = await readFile(file)
        return send(200, body, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
      } catch {
        break
      }
    }
    send(404, 'Not found')
  })

  await new Promise((done) => server.listen(port, host, done))
  const address = server.address()
  return {
    url: `http://${host}:${address.port}/`,
    sessions,
    close: () =>
      new Promise((done) => {
        for (const response of hanging) response.destroy()
        server.close(() => done())
        server.closeAllConnections()
      }),
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const demo = await startDemo({ port: Number(process.env.PORT ?? 4173) })
  console.log(`courier-token-manager demo: ${demo.url}`)
  console.log('Tokens live 20 seconds; open the page and watch them refresh. Ctrl+C to stop.')
}
