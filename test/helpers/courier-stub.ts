// A loopback stand-in for Courier's API: the Inbox GraphQL endpoint and the realtime WebSocket,
// enough for the real courier-js and courier-ui-inbox to run unmodified against it. It records what
// the SDK sends and refuses expired tokens with a 401, as Courier does.
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
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
        const token = makeJwt({ scope, tenant_scope: 'published/production', tenant_id: 'stub', iat, exp: iat + Number.parseInt(expires_in, 10), jti: String(issued.length) })
        response.writeHead(apiKey === STUB_API_KEY ? 200 : 401, { 'content-type': 'application/json' })
        return response.end(JSON.stringify(apiKey === STUB_API_KEY ? { token } : { message: 'Unauthorized' }))
      }
      const { query = '' } = JSON.parse(body || '{}') as { query?: string }
      const operation = /(?:query|mutation)\s+(\w+)/.exec(query)?.[1] ?? 'unknown'
      const token = bearer(request)
      const unauthorized = isExpired(token) || refuse.delete(operation)
      graphql.push({ operation, token, userId: request.headers['x-courier-user-id'] as string | undefined, status: unauthorized ? 401 : 200 })
      const send = (status: number, value: unknown) =>
        response.writeHead(status, { ...CORS, 'content-type': 'application/json' }).end(JSON.stringify(value))
      if (unauthorized) return send(401, { message: 'Unauthorized', type: 'authentication_error' })
      if (operation === 'GetInboxMessages') {
        const archived = /archived:\s*true/.test(query)
        const nodes = messages.filter((message) => !!message.archived === archived).map((message) => ({ ...message, trackingIds: {}, actions: [], tags: [], data: {} }))
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

  const realtime = new WebSocketServer({ server })
  realtime.on('connection', (socket, request) => {
    const url = new URL(request.url ?? '/', 'ws://stub')
    const call: SocketCall = { token: url.searchParams.get('auth'), userId: url.searchParams.get('userId'), socket, received: [], refused: isExpired(url.searchParams.get('auth')) }
    sockets.push(call)
    // An expired token is refused, as Courier's realtime server answers the upgrade with 401.
    if (call.refused) return socket.close(4001, 'Unauthorized')
    socket.on('message', (raw) => {
      const message = JSON.parse(String(raw)) as { tid: string; action: string; data?: unknown }
      call.received.push({ action: message.action, data: message.data })
      if (message.action === 'get-config') socket.send(JSON.stringify({ tid: message.tid, response: 'config', data: { pingInterval: 60, maxOutstandingPings: 3 } }))
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
    subscribed: () => sockets.filter((call) => call.socket.readyState === 1 && call.received.some((message) => message.action === 'subscribe')),
    /** Sends a new-message event to every open socket, as Courier does when a notification is sent. */
    push(message: StubMessage) {
      messages.unshift(message)
      for (const call of sockets) if (call.socket.readyState === 1) call.socket.send(JSON.stringify({ event: 'message', data: message }))
    },
    close: () =>
      new Promise<void>((done) => {
        for (const call of sockets) call.socket.terminate()
        realtime.close()
        server.close(() => done())
        server.closeAllConnections()
      }),
  }
}

export type CourierStub = Awaited<ReturnType<typeof startCourierStub>>
