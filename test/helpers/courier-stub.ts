// A loopback stand-in for Courier's API: the Inbox GraphQL endpoint and the realtime WebSocket,
// enough for the real courier-js and courier-ui-inbox to run unmodified against it. It records what
// the SDK sends and refuses expired tokens with a 401, as Courier does.
import browserConsole from 'node:console'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { vi } from 'vitest'
import { WebSocketServer, type WebSocket } from 'ws'
import { decodeToken } from '../../src/token'
import { makeJwt } from './jwt'

export interface StubMessage {
  messageId: string
  title: string
  preview?: string
  created: string
  read?: string
  archived?: string
}

export interface GraphqlCall {
  operation: string
  token: string | undefined
  userId: string | undefined
  status: number
}

export interface SocketCall {
  token: string | null
  userId: string | null
  socket: WebSocket
  received: Array<{ action: string; data?: unknown }>
  /** The token had expired when the socket connected: refused. */
  refused: boolean
}

const bearer = (request: IncomingMessage) => /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1]

const isExpired = (token: string | undefined | null) => {
  try {
    const { expiresAt } = decodeToken(token ?? '')
    return expiresAt !== undefined && expiresAt <= Date.now()
  } catch {
    return true
  }
}

/** The only API key the stub's Issue Token endpoint accepts. */
export const STUB_API_KEY = 'sk_stub_courier'

/** How long the SDK must leave the stub alone (no request, no new connection) before `close()` counts it as done. */
const SETTLE_MS = 100
/** How long `close()` waits at most for the SDK's requests to end. */
const DRAIN_MS = 5_000

const CORS = {
  'access-control-allow-origin': '*',
  'access-control-allow-headers': '*',
  'access-control-allow-methods': 'POST, OPTIONS',
}

export async function startCourierStub() {
  const graphql: GraphqlCall[] = []
  const sockets: SocketCall[] = []
  const messages: StubMessage[] = []
  /** Answer the next requests for these operations with a 401, whatever the token. */
  const refuse = new Set<string>()
  /** Issue Token calls: the API key and body Courier's REST endpoint received. */
  const issued: Array<{ apiKey: string | undefined; scope: string; expires_in: string }> = []
  // happy-dom's browser reports what a browser's devtools would: `POST <url> 401 (Unauthorized)` for an
  // answer that is not ok, the Node error (`read ECONNRESET`, `connect ECONNREFUSED`) for a request that
  // failed. It writes them to the console vitest created it with, Node's own, which vitest does not capture:
  // they would print unlabelled into the run. They are kept here; a test takes those it expects, and
  // close() fails on any other.
  const browserErrors: string[] = []
  const captured = vi
    .spyOn(browserConsole, 'error')
    .mockImplementation((...args: unknown[]) => void browserErrors.push(args.map(String).join(' ')))

  const server = createServer((request, response) => {
    if (request.method === 'OPTIONS') return response.writeHead(204, CORS).end()
    let body = ''
    request.on('data', (chunk) => (body += chunk))
    request.on('end', () => {
      if (request.url === '/auth/issue-token') {
        const { scope, expires_in } = JSON.parse(body) as { scope: string; expires_in: string }
        const apiKey = bearer(request)
        issued.push({ apiKey, scope, expires_in })
        const iat = Math.floor(Date.now() / 1000)
        const token = makeJwt({
          scope,
          tenant_scope: 'published/production',
          tenant_id: 'stub',
          iat,
          exp: iat + Number.parseInt(expires_in, 10),
          jti: String(issued.length),
        })
        response.writeHead(apiKey === STUB_API_KEY ? 200 : 401, { 'content-type': 'application/json' })
        return response.end(JSON.stringify(apiKey === STUB_API_KEY ? { token } : { message: 'Unauthorized' }))
      }
      const { query = '' } = JSON.parse(body || '{}') as { query?: string }
      const operation = /(?:query|mutation)\s+(\w+)/.exec(query)?.[1] ?? 'unknown'
      const token = bearer(request)
      const unauthorized = isExpired(token) || refuse.delete(operation)
      graphql.push({
        operation,
        token,
        userId: request.headers['x-courier-user-id'] as string | undefined,
        status: unauthorized ? 401 : 200,
      })
      const send = (status: number, value: unknown) =>
        response.writeHead(status, { ...CORS, 'content-type': 'application/json' }).end(JSON.stringify(value))
      if (unauthorized) return send(401, { message: 'Unauthorized', type: 'authentication_error' })
      if (operation === 'GetInboxMessages') {
        const archived = /archived:\s*true/.test(query)
        const nodes = messages
          .filter((message) => !!message.archived === archived)
          .map((message) => ({ ...message, trackingIds: {}, actions: [], tags: [], data: {} }))
        return send(200, {
          data: {
            count: nodes.length,
            unreadCount: nodes.filter((message) => !message.read).length,
            messages: { totalCount: nodes.length, pageInfo: { startCursor: null, hasNextPage: false }, nodes },
          },
        })
      }
      if (operation === 'GetUnreadCounts') {
        const aliases = [...query.matchAll(/(\w+):\s*count\(/g)].map((match) => match[1]!)
        return send(200, { data: Object.fromEntries(aliases.map((alias) => [alias, messages.filter((message) => !message.read).length])) })
      }
      return send(200, { data: {} })
    })
  })

  // Requests received and not yet answered, and when a connection or a request last came or went:
  // what close() waits on before it closes the server. (An idle keep-alive connection is no request.)
  let inFlight = 0
  let lastActivity = Date.now()
  const active = () => {
    lastActivity = Date.now()
  }
  server.on('connection', (socket: Socket) => {
    active()
    socket.on('close', active)
  })
  server.on('request', (_request, response: ServerResponse) => {
    inFlight++
    active()
    response.on('close', () => {
      inFlight--
      active()
    })
  })

  const realtime = new WebSocketServer({ server })
  realtime.on('connection', (socket, request) => {
    const url = new URL(request.url ?? '/', 'ws://stub')
    const call: SocketCall = {
      token: url.searchParams.get('auth'),
      userId: url.searchParams.get('userId'),
      socket,
      received: [],
      refused: isExpired(url.searchParams.get('auth')),
    }
    sockets.push(call)
    // An expired token is refused, as Courier's realtime server answers the upgrade with 401.
    if (call.refused) return socket.close(4001, 'Unauthorized')
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as { tid: string; action: string; data?: unknown }
      call.received.push({ action: message.action, data: message.data })
      if (message.action === 'get-config')
        socket.send(JSON.stringify({ tid: message.tid, response: 'config', data: { pingInterval: 60, maxOutstandingPings: 3 } }))
      else if (message.action === 'ping') socket.send(JSON.stringify({ tid: message.tid, response: 'pong' }))
      else socket.send(JSON.stringify({ tid: message.tid, response: 'ack' }))
    })
  })

  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const base = `127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    apiUrls: {
      courier: { rest: `http://${base}`, graphql: `http://${base}/client/q` },
      inbox: { graphql: `http://${base}/inbox/q`, webSocket: `ws://${base}/realtime` },
    },
    baseUrl: `http://${base}`,
    issued,
    graphql,
    sockets,
    messages,
    refuse,
    /** Open sockets that subscribed, newest last. */
    subscribed: () =>
      sockets.filter((call) => call.socket.readyState === 1 && call.received.some((message) => message.action === 'subscribe')),
    /** Sends a new-message event to every open socket, as Courier does when a notification is sent. */
    push(message: StubMessage) {
      messages.unshift(message)
      for (const call of sockets) if (call.socket.readyState === 1) call.socket.send(JSON.stringify({ event: 'message', data: message }))
    },
    /** Takes the lines happy-dom's browser logged so far (see above), for the test to assert. */
    takeBrowserErrors: () => browserErrors.splice(0),
    /**
     * Closes the stub once the SDK is done with it: call it after signing Courier out. Requests the SDK
     * has already sent (a refetch after a sign-in, the next query of a load) are answered first; cutting
     * them made Node reset their connections (`read ECONNRESET`, `connect ECONNRESET`), and a query
     * chained after one of them found the port closed (`connect ECONNREFUSED`). Fails if happy-dom
     * logged anything the test did not take.
     */
    async close() {
      try {
        const deadline = Date.now() + DRAIN_MS
        while ((inFlight > 0 || Date.now() - lastActivity < SETTLE_MS) && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 10))
        }
        for (const call of sockets) call.socket.terminate()
        realtime.close()
        await new Promise<void>((done) => {
          server.close(() => done())
          server.closeAllConnections()
        })
        // A failure the close itself caused is reported on the next turns of the event loop.
        await new Promise((resolve) => setTimeout(resolve, 10))
        if (browserErrors.length > 0) throw new Error(`happy-dom's browser logged what no test expected:\n${browserErrors.join('\n')}`)
      } finally {
        captured.mockRestore()
      }
    },
  }
}

export type CourierStub = Awaited<ReturnType<typeof startCourierStub>>
