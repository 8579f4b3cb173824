// A local Courier: enough of Courier's API for the unmodified courier-js 3, <courier-inbox> and
// <courier-toast> (and courier-react 9) to run against 127.0.0.1, with no Courier account.
//
// - `POST /auth/issue-token`: Courier's Issue Token endpoint. Bearer API key, `{ scope, expires_in }`,
//   answers `{ token }`: an HS256 JWT with Courier's claims, signed with this server's secret.
// - `POST /inbox/q`: the Inbox GraphQL endpoint. GetInboxMessages (filters, paging), GetUnreadCounts,
//   GetMessages (the unread count), and the TrackEvent / BatchTrackEvents mutations (read, unread,
//   opened, clicked, archive, unarchive, markAllRead, archiveRead, archiveAll).
// - `ws://…/realtime`: the Inbox WebSocket. get-config, subscribe, ping; new messages and every
//   mutation are pushed to the user's other connections, as Courier does across tabs.
//
// What is verified against courier-js 3.4 (by reading its code and running it against this server):
// the request and message shapes above, and that a 401 is what the SDK sees as `CourierRequestError 401`.
// What is assumed about Courier itself (not contacted): a token that is expired, badly signed, or for
// another user than `x-courier-user-id` (or the socket's `userId`) gets 401 `{ message: 'Unauthorized',
// type: 'authentication_error' }`, and a socket upgrade with one gets HTTP 401 (courier-react-native#20
// shows Courier doing that); an open socket is closed when its token's `exp` passes (Courier's guidance:
// "the socket drops and the inbox silently stops updating"); a token without `inbox:read:messages` sees
// an empty Inbox and one without `inbox:write:events` changes nothing (the SDK connects and shows nothing).
import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto'
import { createServer } from 'node:http'
import { WebSocketServer } from 'ws'

/** The API key the local Issue Token endpoint takes: not a secret, it only works here. */
export const LOCAL_COURIER_API_KEY = 'sk_local_courier'

const CORS = {
  'access-control-allow-origin': '*',
  // Listed: `*` does not cover Authorization under the Fetch spec.
  'access-control-allow-headers':
    'authorization, content-type, x-courier-user-id, x-courier-client-source-id, x-courier-ua, x-courier-client-key',
  'access-control-allow-methods': 'POST, OPTIONS',
}
const UNAUTHORIZED = { message: 'Unauthorized', type: 'authentication_error' }
const MAX_BODY = 1_000_000
// Mutation → the realtime event Courier sends the user's other connections.
const EVENTS = {
  read: 'read',
  unread: 'unread',
  opened: 'opened',
  clicked: 'clicked',
  archive: 'archive',
  unarchive: 'unarchive',
  markAllRead: 'mark-all-read',
  archiveRead: 'archive-read',
  archiveAll: 'archive-all',
}

const base64url = (value) => Buffer.from(JSON.stringify(value)).toString('base64url')
const sign = (input, secret) => createHmac('sha256', secret).update(input).digest('base64url')

// "20s", "5m", "1h", "2d" or seconds, as createTokenHandler and the CLI send it.
const seconds = (expiresIn) => {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$/.exec(String(expiresIn))
  if (!match) return undefined
  return Number(match[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[match[2] ?? 's']
}

/** The fields of a FilterParamsInput literal courier-js writes: `{ archived: true,status: "unread",tags: ["a"] }`. */
const readFilter = (literal = '') => ({
  archived: /archived:\s*true/.test(literal),
  status: /status:\s*"(\w+)"/.exec(literal)?.[1],
  tags: [...(/tags:\s*\[([^\]]*)\]/.exec(literal)?.[1]?.matchAll(/"([^"]*)"/g) ?? [])].map((match) => match[1]),
  from: /from:\s*"([^"]+)"/.exec(literal)?.[1],
})

// A tag filter takes messages with any of the tags, as courier-js documents it.
const hasStatus = (message, status) => (status === 'read' || status === 'unread' ? !!message.read === (status === 'read') : true)
const matches = (message, { archived, status, tags, from }) =>
  !!message.archived === archived &&
  hasStatus(message, status) &&
  (tags.length === 0 || tags.some((tag) => message.tags.includes(tag))) &&
  (from === undefined || Date.parse(message.created) >= Date.parse(from))

/**
 * Starts a local Courier on `host:port` (a free port by default).
 * @param {{ port?: number, host?: string, secret?: string }} [options]
 */
export async function startLocalCourier({ port = 0, host = '127.0.0.1', secret = randomBytes(32).toString('hex') } = {}) {
  /** @type {Map<string, Array<Record<string, unknown>>>} Each user's messages, newest first. */
  const inboxes = new Map()
  const connections = new Set()
  const inboxOf = (userId) => inboxes.get(userId) ?? inboxes.set(userId, []).get(userId)

  /** The claims of a token this server issued and that is still valid for `userId`, or undefined. */
  const verify = (token, userId) => {
    const [header, payload, signature = ''] = String(token ?? '').split('.')
    if (!payload) return
    const expected = Buffer.from(sign(`${header}.${payload}`, secret))
    const given = Buffer.from(signature)
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return
    let claims
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString())
    } catch {
      return
    }
    const scopes = String(claims.scope ?? '').split(/\s+/)
    const user = scopes.find((scope) => scope.startsWith('user_id:'))?.slice(8)
    if (!user || user !== userId || (claims.exp !== undefined && claims.exp * 1000 <= Date.now())) return
    return { ...claims, scopes, userId: user }
  }

  /** Pushes an event to the user's open connections, but the one that caused it. */
  const broadcast = (userId, envelope, except) => {
    for (const connection of connections) {
      // A token without inbox:read:messages sees an empty Inbox: nothing is pushed to it either.
      if (connection.userId === userId && connection.readable && connection.id !== except && connection.socket.readyState === 1)
        connection.socket.send(JSON.stringify(envelope))
    }
  }

  const issueToken = (body, apiKey) => {
    if (apiKey !== LOCAL_COURIER_API_KEY) return [401, UNAUTHORIZED]
    const { scope, expires_in } = body
    const lifetime = expires_in === undefined || expires_in === null ? undefined : seconds(expires_in)
    if (typeof scope !== 'string' || (expires_in != null && !(lifetime >= 1 && lifetime < 2 ** 31)))
      return [400, { message: 'scope must be a string and expires_in a duration', type: 'invalid_request_error' }]
    const iat = Math.floor(Date.now() / 1000)
    const claims = {
      scope,
      tenant_scope: 'published/production',
      tenant_id: 'local-courier',
      iat,
      ...(lifetime === undefined ? {} : { exp: iat + Math.round(lifetime) }),
      jti: randomUUID(),
    }
    const input = `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(claims)}`
    return [200, { token: `${input}.${sign(input, secret)}` }]
  }

  const inboxQuery = (query, claims, connectionId) => {
    const operation = /(?:query|mutation)\s+(\w+)/.exec(query)?.[1]
    const readable = claims.scopes.includes('inbox:read:messages')
    const messages = readable ? inboxOf(claims.userId) : []
    const variables = Object.fromEntries(
      [...query.matchAll(/\$(\w+):\s*FilterParamsInput\s*=\s*(\{[^}]*\})/g)].map((match) => [match[1], readFilter(match[2])]),
    )
    const count = (filter) => messages.filter((message) => matches(message, filter)).length
    if (operation === 'GetInboxMessages') {
      const params = variables.params ?? readFilter()
      const limit = Number(/\$limit:\s*Int\s*=\s*(\d+)/.exec(query)?.[1] ?? 24)
      // The cursor is the last message of the page: messages are only ever added in front, so a message
      // archived or sent between two pages neither hides nor repeats one.
      const after = /\$after:\s*String\s*=\s*"([^"]+)"/.exec(query)?.[1]
      const start = after === undefined ? 0 : messages.findIndex((message) => message.messageId === after) + 1
      const selected = messages.filter((message) => matches(message, params))
      const older = messages.slice(start).filter((message) => matches(message, params))
      const nodes = older.slice(0, limit)
      const hasNextPage = older.length > nodes.length
      return {
        count: selected.length,
        unreadCount: count(variables.unreadCountParams ?? readFilter('status: "unread"')),
        messages: {
          totalCount: selected.length,
          pageInfo: { startCursor: hasNextPage ? nodes.at(-1).messageId : null, hasNextPage },
          nodes,
        },
      }
    }
    if (operation === 'GetUnreadCounts') {
      return Object.fromEntries(
        [...query.matchAll(/(\w+):\s*count\(params:\s*\$(\w+)\)/g)].map(([, alias, name]) => [
          alias,
          count(variables[name] ?? readFilter()),
        ]),
      )
    }
    if (operation === 'GetMessages') return { count: count(readFilter(/count\(params:\s*(\{[^}]*\})/.exec(query)?.[1])) }
    if (operation !== 'TrackEvent' && operation !== 'BatchTrackEvents') return {}
    // Each field of the mutation, aliased (`open_0: opened(…)`) or not.
    const data = {}
    const writable = claims.scopes.includes('inbox:write:events')
    for (const [, alias, name, messageId] of query.matchAll(
      /(?:(\w+):\s*)?\b(read|unread|opened|clicked|archive|unarchive|markAllRead|archiveRead|archiveAll)\b(?:\(messageId:\s*"([^"]+)")?/g,
    )) {
      data[alias ?? name] = true
      if (!writable) continue
      apply(claims.userId, name, messageId)
      broadcast(claims.userId, messageId ? { event: EVENTS[name], messageId } : { event: EVENTS[name] }, connectionId)
    }
    return data
  }

  const apply = (userId, name, messageId) => {
    const now = new Date().toISOString()
    const all = inboxOf(userId)
    const targets = messageId ? all.filter((message) => message.messageId === messageId) : all
    for (const message of targets) {
      if (name === 'read' || name === 'markAllRead') message.read ??= now
      else if (name === 'unread') delete message.read
      else if (name === 'opened') message.opened ??= now
      else if (name === 'archive' || name === 'archiveAll' || (name === 'archiveRead' && message.read)) message.archived ??= now
      else if (name === 'unarchive') delete message.archived
    }
  }

  const server = createServer((request, response) => {
    const send = (status, value) => response.writeHead(status, { ...CORS, 'content-type': 'application/json' }).end(JSON.stringify(value))
    if (request.method === 'OPTIONS') return response.writeHead(204, CORS).end()
    let body = ''
    request.on('data', (chunk) => {
      body += chunk
      // No request of the SDK comes near a megabyte: refuse rather than buffer without end.
      if (body.length > MAX_BODY) {
        send(413, { message: 'Body too large', type: 'invalid_request_error' })
        request.destroy()
      }
    })
    request.on('end', () => {
      // Odd input (a null body, a malformed URL) is a 400, never a crash of the demo's process.
      try {
        answer(request, Object(JSON.parse(body || '{}')), send)
      } catch {
        send(400, { message: 'Malformed request', type: 'invalid_request_error' })
      }
    })
  })

  const answer = (request, body, send) => {
    const token = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1]
    const path = new URL(request.url ?? '/', 'http://local').pathname
    if (request.method === 'POST' && path === '/auth/issue-token') return send(...issueToken(body, token))
    if (request.method === 'POST' && path === '/inbox/q') {
      const claims = verify(token, request.headers['x-courier-user-id'])
      if (!claims) return send(401, UNAUTHORIZED)
      return send(200, { data: inboxQuery(String(body.query ?? ''), claims, request.headers['x-courier-client-source-id']) })
    }
    send(404, { message: `${request.method} ${path} is not part of the local Courier`, type: 'not_found' })
  }

  const realtime = new WebSocketServer({ noServer: true })
  server.on('upgrade', (request, socket, head) => {
    let url
    try {
      url = new URL(request.url ?? '/', 'ws://local')
    } catch {
      return socket.destroy()
    }
    const claims = verify(url.searchParams.get('auth'), url.searchParams.get('userId'))
    // Refused, then gone: a client that keeps its half open must not hold close() up.
    if (!claims) return socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n', () => socket.destroy())
    realtime.handleUpgrade(request, socket, head, (ws) => {
      const readable = claims.scopes.includes('inbox:read:messages')
      const connection = {
        id: url.searchParams.get('cid'),
        userId: claims.userId,
        socket: ws,
        token: url.searchParams.get('auth'),
        readable,
      }
      connections.add(connection)
      // Courier drops a socket whose token expired: the Inbox stops updating unless the app reconnects it.
      const left = claims.exp === undefined ? Infinity : claims.exp * 1000 - Date.now()
      const expiry = left < 2 ** 31 ? setTimeout(() => ws.close(4001, 'Token expired'), left) : undefined
      expiry?.unref()
      ws.on('close', () => {
        clearTimeout(expiry)
        connections.delete(connection)
      })
      ws.on('error', () => {}) // a client that vanished: nothing to do but forget it
      ws.on('message', (raw) => {
        let message
        try {
          message = JSON.parse(String(raw))
        } catch {
          return
        }
        const reply = (value) => ws.send(JSON.stringify({ tid: message.tid, ...value }))
        if (message.action === 'get-config') reply({ response: 'config', data: { pingInterval: 60, maxOutstandingPings: 3 } })
        else if (message.action === 'ping') reply({ response: 'pong' })
        else reply({ response: 'ack' })
      })
    })
  })

  await new Promise((done, fail) => {
    server.once('error', fail)
    server.listen(port, host, () => {
      server.off('error', fail)
      done()
    })
  })
  const origin = `${host}:${server.address().port}`

  return {
    /** courier-js's `apiUrls` for this server. */
    apiUrls: {
      courier: { rest: `http://${origin}`, graphql: `http://${origin}/client/q` },
      inbox: { graphql: `http://${origin}/inbox/q`, webSocket: `ws://${origin}/realtime` },
    },
    /** For `createTokenHandler({ apiKey: LOCAL_COURIER_API_KEY, baseUrl })` and `issueCourierToken`. */
    baseUrl: `http://${origin}`,
    apiKey: LOCAL_COURIER_API_KEY,
    /** Sends `userId` a message, as a Courier send to the Inbox channel would: stored, and pushed to every open Inbox of the user. */
    send(userId, { title, preview = '', data = {}, tags = [], actions = [] }) {
      const message = {
        messageId: randomUUID(),
        title,
        preview,
        created: new Date().toISOString(),
        data,
        tags,
        actions,
        trackingIds: { clickTrackingId: randomUUID() },
      }
      inboxOf(userId).unshift(message)
      broadcast(userId, { event: 'message', data: message })
      return message
    },
    /** The user's messages, newest first, as stored. */
    messages: (userId) => inboxOf(userId),
    /** Open realtime connections: the user and the token each connected with. */
    connections: () => [...connections].map(({ userId, token }) => ({ userId, token })),
    close: () =>
      new Promise((done) => {
        for (const { socket } of connections) socket.terminate()
        realtime.close()
        server.close(() => done())
        server.closeAllConnections()
      }),
  }
}
