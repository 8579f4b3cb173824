// The local Courier of examples/local-courier, driven by the real, unmodified @trycourier/courier-js 3.4
// (and courier-ui-inbox's CourierInboxDatastore): Issue Token through issueCourierToken and
// createTokenHandler, the Inbox GraphQL API through client.inbox, the realtime socket through
// client.inbox.socket. No hand-written GraphQL: every request is the one courier-js sends a real Courier.
import './helpers/happy-dom-conformance'
import browserConsole from 'node:console'
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { Courier, CourierClient, type InboxMessage, type InboxMessageEventEnvelope } from '@trycourier/courier-js'
import { CourierInboxDatastore, defaultFeeds } from '@trycourier/courier-ui-inbox'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { WebSocket as NodeWebSocket } from 'ws'
import { LOCAL_COURIER_API_KEY, startLocalCourier, type LocalCourier } from '../examples/local-courier/local-courier.mjs'
import { createTokenHandler, issueCourierToken, type IssueCourierTokenOptions } from '../src/server'
import { decodeToken } from '../src/token'
import { makeJwt } from './helpers/jwt'

/** The local Courier's signing secret, fixed so that a test can mint an expired token it would accept otherwise. */
const SECRET = 'local-courier-test-secret'
const USER = 'alice'
const INBOX = 'inbox:read:messages inbox:write:events'
const UNAUTHORIZED = { name: 'CourierRequestError', code: 401, message: 'Unauthorized', type: 'authentication_error' }

let local: LocalCourier
let clients: CourierClient[]
let rawSockets: NodeWebSocket[]
// happy-dom's browser logs what a browser's devtools would (`POST <url> 401 (Unauthorized)`) to Node's
// console, which vitest does not capture: kept here, taken by the tests that expect them, none left over.
let browserErrors: string[]

beforeEach(async () => {
  browserErrors = []
  vi.spyOn(browserConsole, 'error').mockImplementation((...args: unknown[]) => void browserErrors.push(args.map(String).join(' ')))
  local = await startLocalCourier({ secret: SECRET })
  clients = []
  rawSockets = []
})

afterEach(async () => {
  const all = Courier.shared.client ? [...clients, Courier.shared.client] : clients
  // Closing courier-js's socket also cancels the reconnection it schedules after a refusal or a drop.
  for (const client of clients) client.inbox.socket.close()
  Courier.shared.signOut()
  // courier-js clears its ping interval once the close reaches it; no reconnection may be left pending.
  await until(() => all.every((client) => (browserSocketOf(client)?.readyState ?? 3) === 3), 'the courier-js sockets to close')
  expect(all.map((client) => (client.inbox.socket as unknown as { retryTimeoutId: unknown }).retryTimeoutId)).toEqual(all.map(() => null))
  for (const socket of rawSockets) socket.terminate()
  await local.close()
  expect(browserErrors, 'happy-dom logged what no test expected').toEqual([])
})

const until = async (condition: () => boolean, what: string, timeout = 3_000) => {
  const deadline = Date.now() + timeout
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Takes what happy-dom logged so far. */
const takeBrowserErrors = () => browserErrors.splice(0)
const refusedRequest = () => `POST ${local.apiUrls.inbox.graphql} 401 (Unauthorized)`

/** A token from the local Issue Token endpoint, through issueCourierToken as a backend gets one. */
const issue = async (options: Partial<IssueCourierTokenOptions> = {}) =>
  (await issueCourierToken({ apiKey: LOCAL_COURIER_API_KEY, baseUrl: local.baseUrl, userId: USER, ...options })).token

/** A token signed by hand: `secret` SECRET for one the local Courier would accept but for its claims. */
const mint = ({
  userId = USER,
  scopes = INBOX,
  exp = Math.floor(Date.now() / 1000) + 3600,
  secret = SECRET,
}: {
  userId?: string
  scopes?: string
  exp?: number
  secret?: string
} = {}) =>
  makeJwt(
    {
      scope: `user_id:${userId} ${scopes}`,
      tenant_scope: 'published/production',
      tenant_id: 'local-courier',
      iat: exp - 3600,
      exp,
      jti: `minted-${exp}`,
    },
    secret,
  )

/** A courier-js client for the local Courier, closed after the test. */
const clientFor = (jwt: string, userId = USER) => {
  const client = new CourierClient({ userId, jwt, apiUrls: local.apiUrls })
  clients.push(client)
  return client
}

/** Connects the client's Inbox socket (as the Inbox does) and collects the events it receives. */
const listen = async (client: CourierClient) => {
  const events: InboxMessageEventEnvelope[] = []
  await client.inbox.socket.connect()
  client.inbox.socket.addMessageEventListener((event) => events.push(event))
  return events
}

/** courier-js's own WebSocket, to see how the server closed it. */
const browserSocketOf = (client: CourierClient) => (client.inbox.socket as unknown as { webSocket: WebSocket | null }).webSocket

/** Sends `count` messages, "Message 1" first (so the newest is "Message <count>"). */
const sendMany = (count: number, userId = USER) =>
  Array.from({ length: count }, (_, index) => local.send(userId, { title: `Message ${index + 1}` }))

const page = async (client: CourierClient, props: Parameters<CourierClient['inbox']['getMessages']>[0] = {}) => {
  const { data } = await client.inbox.getMessages(props)
  return { ...data, nodes: data?.messages?.nodes ?? [], pageInfo: data?.messages?.pageInfo }
}
const titles = (nodes: InboxMessage[]) => nodes.map((node) => node.title)
const stored = (messageId: string, userId = USER) => local.messages(userId).find((message) => message.messageId === messageId)!

/** The HTTP status a socket upgrade gets, asked with the `ws` client itself. */
const upgradeStatus = (query: string) =>
  new Promise<number>((resolve, reject) => {
    const socket = new NodeWebSocket(`${local.apiUrls.inbox.webSocket}?${query}`)
    rawSockets.push(socket)
    socket.on('open', () => reject(new Error('the upgrade was accepted')))
    socket.on('error', reject)
    socket.on('unexpected-response', (_request, response) => {
      response.resume()
      resolve(response.statusCode ?? 0)
    })
  })

describe('Issue Token', () => {
  it('issueCourierToken gets an HS256 JWT for the user, with the inbox scopes, iat and exp', async () => {
    const before = Math.floor(Date.now() / 1000)
    const issued = await issueCourierToken({ apiKey: LOCAL_COURIER_API_KEY, baseUrl: local.baseUrl, userId: USER, expiresIn: '1h' })
    const info = decodeToken(issued.token)
    expect(issued.scope).toBe(`user_id:${USER} ${INBOX}`)
    expect(info.userId).toBe(USER)
    expect(info.scopes).toEqual(['user_id:alice', 'inbox:read:messages', 'inbox:write:events'])
    expect(info.claims.iat).toBeGreaterThanOrEqual(before)
    expect(info.claims.exp).toBe(info.claims.iat! + 3600)
    expect(issued.expiresAt).toBe(info.claims.exp! * 1000)
    // Signed with the server's secret: the same claims re-signed by hand give the same token.
    expect(makeJwt(info.claims, SECRET)).toBe(issued.token)
    // And courier-js can use it.
    await expect(clientFor(issued.token).inbox.getUnreadMessageCount()).resolves.toBe(0)
  })

  it('createTokenHandler answers the signed-in user a token from the local Courier', async () => {
    const handler = createTokenHandler({
      apiKey: LOCAL_COURIER_API_KEY,
      baseUrl: local.baseUrl,
      getUserId: () => USER,
      expiresIn: '20m',
      onError: () => {},
    })
    const response = await handler(new Request('http://app.test/api/courier-token'))
    expect(response.status).toBe(200)
    const body = (await response.json()) as { token: string; expiresAt: number; expiresIn: number }
    const info = decodeToken(body.token)
    expect(info.userId).toBe(USER)
    expect(info.claims.exp! - info.claims.iat!).toBe(1200)
    expect(body.expiresAt).toBe(info.claims.exp! * 1000)
    expect(body.expiresIn).toBeGreaterThan(1190)
    expect(body.expiresIn).toBeLessThanOrEqual(1200)
  })

  it('a wrong API key gets 401: IssueTokenError unauthorized', async () => {
    await expect(issueCourierToken({ apiKey: 'sk_not_the_local_key', baseUrl: local.baseUrl, userId: USER })).rejects.toMatchObject({
      name: 'IssueTokenError',
      code: 'unauthorized',
      status: 401,
    })
    expect(takeBrowserErrors()).toEqual([`POST ${local.baseUrl}/auth/issue-token 401 (Unauthorized)`])
  })
})

describe('Inbox messages through courier-js', () => {
  it('pages 30 messages newest first: 24 with a cursor, then the remaining 6', async () => {
    sendMany(30)
    const client = clientFor(await issue())

    const first = await page(client, { paginationLimit: 24 })
    expect(titles(first.nodes)).toEqual(Array.from({ length: 24 }, (_, index) => `Message ${30 - index}`))
    expect(first).toMatchObject({ count: 30, unreadCount: 30, messages: { totalCount: 30 } })
    expect(first.pageInfo?.hasNextPage).toBe(true)
    expect(first.pageInfo?.startCursor).toEqual(expect.any(String))
    // Every field courier-js asks for.
    expect(first.nodes[0]).toMatchObject({
      messageId: expect.any(String),
      created: expect.any(String),
      title: 'Message 30',
      preview: '',
      data: {},
      tags: [],
      actions: [],
      trackingIds: { clickTrackingId: expect.any(String) },
    })

    const second = await page(client, { paginationLimit: 24, startCursor: first.pageInfo!.startCursor! })
    expect(titles(second.nodes)).toEqual(['Message 6', 'Message 5', 'Message 4', 'Message 3', 'Message 2', 'Message 1'])
    expect(second).toMatchObject({ count: 30, unreadCount: 30 })
    expect(second.pageInfo?.hasNextPage).toBe(false)
    expect(second.pageInfo?.startCursor ?? null).toBeNull()
  })

  it('filters: archived messages leave the default list for { archived: true }, with their own counts', async () => {
    const sent = sendMany(30)
    const client = clientFor(await issue())
    const [m1, m2, m3] = [sent[0]!, sent[1]!, sent[2]!]
    for (const message of [m1, m2, m3]) await client.inbox.archive({ messageId: message.messageId })
    await client.inbox.read({ messageId: m2.messageId })

    const archived = await page(client, { filter: { archived: true } })
    expect(titles(archived.nodes)).toEqual(['Message 3', 'Message 2', 'Message 1'])
    expect(archived.nodes.every((node) => typeof node.archived === 'string')).toBe(true)
    expect(archived).toMatchObject({ count: 3, unreadCount: 2 })
    expect(archived.pageInfo?.hasNextPage).toBe(false)

    const inbox = await page(client, { paginationLimit: 24 })
    expect(inbox).toMatchObject({ count: 27, unreadCount: 27 })
    expect(titles(inbox.nodes)).not.toContain('Message 1')
    // The deprecated getArchivedMessages asks the same.
    expect(titles((await client.inbox.getArchivedMessages()).data?.messages?.nodes ?? [])).toEqual(['Message 3', 'Message 2', 'Message 1'])
    // Status and tags narrow it further.
    const tagged = local.send(USER, { title: 'Billing', tags: ['billing'] })
    expect(titles((await page(client, { filter: { status: 'read', archived: true } })).nodes)).toEqual(['Message 2'])
    expect((await page(client, { filter: { tags: ['billing'] } })).nodes.map((node) => node.messageId)).toEqual([tagged.messageId])
  })

  it('unread counts: getUnreadMessageCount and getUnreadCounts agree with the store', async () => {
    const sent = [
      ...sendMany(4),
      local.send(USER, { title: 'Invoice', tags: ['billing'] }),
      local.send(USER, { title: 'Receipt', tags: ['billing'] }),
    ]
    const client = clientFor(await issue())
    const unreadInStore = (filter: (message: (typeof sent)[number]) => boolean = () => true) =>
      local.messages(USER).filter((message) => !message.read && !message.archived && filter(message)).length
    const counts = () =>
      client.inbox.getUnreadCounts({
        all_messages: {},
        'billing-tab': { tags: ['billing'] },
        read: { status: 'read' },
        archived_messages: { archived: true },
      })

    expect(await client.inbox.getUnreadMessageCount()).toBe(6)
    expect(await counts()).toEqual({ all_messages: 6, 'billing-tab': 2, read: 0, archived_messages: 0 })

    await client.inbox.read({ messageId: sent[0]!.messageId })
    await client.inbox.read({ messageId: sent[4]!.messageId })
    await client.inbox.archive({ messageId: sent[1]!.messageId })
    const billing = (message: (typeof sent)[number]) => message.tags.includes('billing')
    expect(await client.inbox.getUnreadMessageCount()).toBe(unreadInStore())
    expect(await client.inbox.getUnreadMessageCount()).toBe(3)
    expect(await counts()).toEqual({
      all_messages: unreadInStore(),
      'billing-tab': unreadInStore(billing),
      read: 0,
      archived_messages: local.messages(USER).filter((message) => message.archived && !message.read).length,
    })
    expect(await counts()).toEqual({ all_messages: 3, 'billing-tab': 1, read: 0, archived_messages: 1 })
    // And getMessages's own unreadCount says the same.
    expect((await page(client)).unreadCount).toBe(3)
  })

  it('read, unread, open, click, archive, unarchive: each shows in the next getMessages and in the store', async () => {
    const [older, newer] = sendMany(2) as [ReturnType<LocalCourier['send']>, ReturnType<LocalCourier['send']>]
    const client = clientFor(await issue())
    const node = async (messageId: string, filter: { archived?: boolean } = {}) =>
      (await page(client, { filter })).nodes.find((each) => each.messageId === messageId)
    const id = newer.messageId

    expect(await node(id)).toMatchObject({ title: 'Message 2' })
    expect((await node(id))?.read ?? null).toBeNull()
    expect((await node(id))?.opened ?? null).toBeNull()

    await client.inbox.read({ messageId: id })
    expect((await node(id))?.read).toEqual(expect.any(String))
    expect(stored(id).read).toEqual((await node(id))?.read)
    expect(stored(older.messageId).read).toBeUndefined()

    await client.inbox.unread({ messageId: id })
    expect((await node(id))?.read ?? null).toBeNull()
    expect(stored(id).read).toBeUndefined()

    await client.inbox.open({ messageId: id })
    expect((await node(id))?.opened).toEqual(expect.any(String))
    expect(stored(id).opened).toEqual(expect.any(String))
    // Opened is not read.
    expect((await node(id))?.read ?? null).toBeNull()

    // A click is tracked (the call succeeds with the message's tracking id) and changes none of the fields.
    const before = { ...stored(id) }
    await client.inbox.click({ messageId: id, trackingId: newer.trackingIds.clickTrackingId })
    expect(stored(id)).toEqual(before)

    await client.inbox.archive({ messageId: id })
    expect(await node(id)).toBeUndefined()
    expect((await node(id, { archived: true }))?.archived).toEqual(expect.any(String))
    expect(stored(id).archived).toEqual(expect.any(String))

    await client.inbox.unarchive({ messageId: id })
    expect((await node(id))?.archived ?? null).toBeNull()
    expect(await node(id, { archived: true })).toBeUndefined()
    expect(stored(id).archived).toBeUndefined()
  })

  it('readAll marks every message read; archiveRead archives the read ones only', async () => {
    sendMany(3)
    const client = clientFor(await issue())
    await client.inbox.readAll()
    expect(local.messages(USER).every((message) => typeof message.read === 'string')).toBe(true)
    expect(await page(client)).toMatchObject({ count: 3, unreadCount: 0 })

    const unread = local.send(USER, { title: 'Arrived after readAll' })
    await client.inbox.archiveRead()
    const inbox = await page(client)
    expect(inbox.nodes.map((each) => each.messageId)).toEqual([unread.messageId])
    expect(inbox).toMatchObject({ count: 1, unreadCount: 1 })
    expect(titles((await page(client, { filter: { archived: true } })).nodes)).toEqual(['Message 3', 'Message 2', 'Message 1'])
    expect(local.messages(USER).map((message) => !!message.archived)).toEqual([false, true, true, true])
  })

  it('batchOpen (one aliased BatchTrackEvents mutation) opens each message', async () => {
    const sent = sendMany(3)
    const client = clientFor(await issue())
    await client.inbox.batchOpen([sent[0]!.messageId, sent[2]!.messageId])
    expect(local.messages(USER).map((message) => typeof message.opened === 'string')).toEqual([true, false, true])
  })
})

describe('Realtime', () => {
  it('a socket connected by courier-js receives a new message sent with local.send', async () => {
    const jwt = await issue()
    const events = await listen(clientFor(jwt))
    expect(local.connections()).toEqual([{ userId: USER, token: jwt }])
    const sent = local.send(USER, { title: 'Hello over the socket', preview: 'Pushed', tags: ['news'] })
    await until(() => events.length > 0, 'the new message')
    expect(events).toEqual([{ event: 'message', data: sent }])
  })

  it("another connection's read reaches this one as { event: 'read', messageId }, never the one that caused it", async () => {
    const [message] = sendMany(1)
    const here = clientFor(await issue())
    const there = clientFor(await issue())
    const stranger = clientFor(await issue({ userId: 'bob' }), 'bob')
    const [hereEvents, thereEvents, strangerEvents] = await Promise.all([listen(here), listen(there), listen(stranger)])

    await there.inbox.read({ messageId: message!.messageId })
    await until(() => hereEvents.length > 0, 'the read event')
    expect(hereEvents).toEqual([{ event: 'read', messageId: message!.messageId }])

    // Each socket gets its events in order: once the next message reached `there` and bob's socket,
    // a read pushed to them before it would have too.
    const next = local.send(USER, { title: 'After the read' })
    local.send('bob', { title: 'For bob' })
    await until(() => thereEvents.length > 0 && strangerEvents.length > 0 && hereEvents.length > 1, 'the next messages')
    expect(thereEvents).toEqual([{ event: 'message', data: next }])
    expect(strangerEvents.map((event) => [event.event, event.data?.title])).toEqual([['message', 'For bob']])
    expect(hereEvents.map((event) => event.event)).toEqual(['read', 'message'])
  })

  it('every mutation is pushed to the other connection with its event name', async () => {
    const [a, b] = sendMany(2)
    const here = clientFor(await issue())
    const there = clientFor(await issue())
    const events = await listen(here)
    await listen(there)
    const ids = { messageId: a!.messageId }
    await there.inbox.read(ids)
    await there.inbox.unread(ids)
    await there.inbox.open(ids)
    await there.inbox.click({ ...ids, trackingId: a!.trackingIds.clickTrackingId })
    await there.inbox.archive(ids)
    await there.inbox.unarchive(ids)
    await there.inbox.readAll()
    await there.inbox.archiveRead()
    await there.inbox.archiveAll()
    await there.inbox.batchOpen([a!.messageId, b!.messageId])
    await until(() => events.length === 11, 'eleven events')
    expect(events).toEqual([
      { event: 'read', ...ids },
      { event: 'unread', ...ids },
      { event: 'opened', ...ids },
      { event: 'clicked', ...ids },
      { event: 'archive', ...ids },
      { event: 'unarchive', ...ids },
      { event: 'mark-all-read' },
      { event: 'archive-read' },
      { event: 'archive-all' },
      { event: 'opened', ...ids },
      { event: 'opened', messageId: b!.messageId },
    ])
  })

  it("CourierInboxDatastore.shared.listenForUpdates: new messages and another tab's read and archive reach the Inbox's datasets", async () => {
    const [first] = sendMany(1)
    Courier.shared.signIn({ userId: USER, jwt: await issue(), apiUrls: local.apiUrls })
    const datastore = CourierInboxDatastore.shared
    datastore.registerFeeds(defaultFeeds())
    await datastore.load({ canUseCache: false })
    await datastore.listenForUpdates()
    const all = () => datastore.getDatasetById('all_messages')!
    const archived = () => datastore.getDatasetById('archived_messages')!
    expect(all().messages.map((message) => message.title)).toEqual(['Message 1'])
    expect(all().unreadCount).toBe(1)

    const sent = local.send(USER, { title: 'Live' })
    await until(() => all().messages.length === 2, 'the new message in the datastore')
    expect(all().messages[0]).toMatchObject({ messageId: sent.messageId, title: 'Live' })
    expect(datastore.totalUnreadCount).toBe(2)

    const otherTab = clientFor(await issue())
    await otherTab.inbox.read({ messageId: sent.messageId })
    await until(() => !!all().messages.find((message) => message.messageId === sent.messageId)?.read, 'the read in the datastore')
    expect(all().unreadCount).toBe(1)

    await otherTab.inbox.archive({ messageId: first!.messageId })
    await until(() => archived().messages.some((message) => message.messageId === first!.messageId), 'the archive in the datastore')
    expect(all().messages.map((message) => message.messageId)).toEqual([sent.messageId])
  })
})

describe('Refusals', () => {
  const refusedTokens = () => ({
    'an expired token': mint({ exp: Math.floor(Date.now() / 1000) - 1 }),
    "another user's token": mint({ userId: 'bob' }),
    'a badly signed token': mint({ secret: 'not-the-local-secret' }),
  })

  it.each(['an expired token', "another user's token", 'a badly signed token'] as const)(
    '%s gets 401 on GraphQL: CourierRequestError 401, and changes nothing',
    async (kind) => {
      const [message] = sendMany(1)
      const client = clientFor(refusedTokens()[kind])
      await expect(client.inbox.getMessages()).rejects.toMatchObject(UNAUTHORIZED)
      await expect(client.inbox.getUnreadMessageCount()).rejects.toMatchObject(UNAUTHORIZED)
      await expect(client.inbox.getUnreadCounts({ all_messages: {} })).rejects.toMatchObject(UNAUTHORIZED)
      await expect(client.inbox.read({ messageId: message!.messageId })).rejects.toMatchObject(UNAUTHORIZED)
      await expect(client.inbox.archiveAll()).rejects.toMatchObject(UNAUTHORIZED)
      expect(stored(message!.messageId)).toEqual(message)
      expect(stored(message!.messageId).read).toBeUndefined()
      expect(takeBrowserErrors()).toEqual(Array(5).fill(refusedRequest()))
    },
  )

  it('a token of another user than x-courier-user-id is refused even though it is valid for its own user', async () => {
    const bobs = await issue({ userId: 'bob' })
    await expect(clientFor(bobs, 'bob').inbox.getUnreadMessageCount()).resolves.toBe(0)
    await expect(clientFor(bobs, USER).inbox.getUnreadMessageCount()).rejects.toMatchObject(UNAUTHORIZED)
    expect(takeBrowserErrors()).toEqual([refusedRequest()])
  })

  it.each(['an expired token', "another user's token", 'a badly signed token'] as const)(
    'a socket upgrade with %s is refused with HTTP 401',
    async (kind) => {
      expect(await upgradeStatus(`auth=${refusedTokens()[kind]}&userId=${USER}`)).toBe(401)
      expect(local.connections()).toEqual([])
    },
  )

  it('a socket upgrade without a token, or a good token for another userId, is refused with HTTP 401; a good one upgrades', async () => {
    const good = await issue()
    expect(await upgradeStatus(`userId=${USER}`)).toBe(401)
    expect(await upgradeStatus(`auth=${good}&userId=bob`)).toBe(401)
    expect(await upgradeStatus(`auth=${good}`)).toBe(401)
    const socket = new NodeWebSocket(`${local.apiUrls.inbox.webSocket}?auth=${good}&userId=${USER}`)
    rawSockets.push(socket)
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject))
    await until(() => local.connections().length === 1, 'the connection')
  })

  it("courier-js's socket with an expired token never opens: the upgrade is refused", async () => {
    const client = clientFor(mint({ exp: Math.floor(Date.now() / 1000) - 1 }))
    // happy-dom's WebSocket reports a refused upgrade as a close (1006) without an error event, so
    // courier-js's connect() never settles here; a browser would reject it. Either way: not open.
    void client.inbox.socket.connect()
    await until(() => browserSocketOf(client)?.readyState === 3, 'the socket to close')
    expect(client.inbox.socket.isOpen).toBe(false)
    expect(local.connections()).toEqual([])
  })

  it("an open socket is closed with 4001 when its token's exp passes; the token then gets 401 on GraphQL", async () => {
    const jwt = await issue({ expiresIn: '2s' })
    const { expiresAt } = decodeToken(jwt)
    const client = clientFor(jwt)
    const events = await listen(client)
    const closes: Array<{ code: number; at: number }> = []
    browserSocketOf(client)!.addEventListener('close', (event) => closes.push({ code: event.code, at: Date.now() }))

    // Alive until then.
    local.send(USER, { title: 'Before expiry' })
    await until(() => events.length === 1, 'the message before expiry')
    await expect(client.inbox.getUnreadMessageCount()).resolves.toBe(1)

    await until(() => closes.length > 0, 'the socket to be closed', 3_000)
    expect(closes[0]!.code).toBe(4001)
    expect(closes[0]!.at).toBeGreaterThanOrEqual(expiresAt!)
    expect(local.connections()).toEqual([])
    await expect(client.inbox.getUnreadMessageCount()).rejects.toMatchObject(UNAUTHORIZED)
    expect(takeBrowserErrors()).toEqual([refusedRequest()])
  })
})

describe('Scopes', () => {
  it('a token without inbox:read:messages sees an empty Inbox', async () => {
    sendMany(3)
    const client = clientFor(await issue({ features: [], scopes: ['inbox:write:events'] }))
    const inbox = await page(client)
    expect(inbox.nodes).toEqual([])
    expect(inbox).toMatchObject({ count: 0, unreadCount: 0 })
    expect(inbox.pageInfo?.hasNextPage).toBe(false)
    expect((await page(client, { filter: { archived: true } })).nodes).toEqual([])
    expect(await client.inbox.getUnreadMessageCount()).toBe(0)
    expect(await client.inbox.getUnreadCounts({ all_messages: {}, archived_messages: { archived: true } })).toEqual({
      all_messages: 0,
      archived_messages: 0,
    })
    // A full token still sees the three.
    expect(await clientFor(await issue()).inbox.getUnreadMessageCount()).toBe(3)
  })

  it('a token without inbox:write:events changes nothing, and nothing is pushed', async () => {
    const [message] = sendMany(2)
    const id = message!.messageId
    const readOnly = clientFor(await issue({ features: [], scopes: ['inbox:read:messages'] }))
    const watcher = clientFor(await issue())
    const events = await listen(watcher)
    const snapshot = structuredClone(local.messages(USER))

    // The calls succeed, as courier-js sees them, but change nothing.
    await readOnly.inbox.read({ messageId: id })
    await readOnly.inbox.open({ messageId: id })
    await readOnly.inbox.archive({ messageId: id })
    await readOnly.inbox.readAll()
    await readOnly.inbox.archiveAll()
    await readOnly.inbox.batchOpen(snapshot.map((each) => each.messageId))
    expect(local.messages(USER)).toEqual(snapshot)
    expect(await page(readOnly)).toMatchObject({ count: 2, unreadCount: 2 })

    const next = local.send(USER, { title: 'Sentinel' })
    await until(() => events.length > 0, 'the sentinel')
    expect(events).toEqual([{ event: 'message', data: next }])
  })
})

// What courier-js and the Inbox expect of Courier that a first version of the local Courier got wrong.
describe('filters, paging and scopes as courier-js expects them', () => {
  it('a tags filter returns messages with any of the tags (courier-js: "tag match is OR within the array")', async () => {
    const invoice = local.send(USER, { title: 'Invoice', tags: ['billing'] })
    const signIn = local.send(USER, { title: 'New sign-in', tags: ['security'] })
    local.send(USER, { title: 'Untagged' })
    const client = clientFor(await issue())
    const tagged = await page(client, { filter: { tags: ['billing', 'security'] } })
    expect(tagged.nodes.map((node) => node.messageId)).toEqual([signIn.messageId, invoice.messageId])
  })

  it('a `from` filter keeps only the messages created at or after it', async () => {
    sendMany(2)
    local.messages(USER)[1]!.created = '2020-01-01T00:00:00.000Z'
    const client = clientFor(await issue())
    const recent = await page(client, { filter: { from: '2024-01-01T00:00:00.000Z' } })
    expect(titles(recent.nodes)).toEqual(['Message 2'])
  })

  it('the next page after the user archived a message of the first one still holds every older message', async () => {
    sendMany(30)
    const client = clientFor(await issue())
    const first = await page(client, { paginationLimit: 24 })
    await client.inbox.archive({ messageId: first.nodes[0]!.messageId })
    const second = await page(client, { paginationLimit: 24, startCursor: first.pageInfo!.startCursor! })
    // An offset cursor skips "Message 6": it is never shown.
    expect(titles(second.nodes)).toEqual(['Message 6', 'Message 5', 'Message 4', 'Message 3', 'Message 2', 'Message 1'])
  })

  it('a message arriving between two pages does not repeat one of the first page on the next', async () => {
    sendMany(30)
    const client = clientFor(await issue())
    const first = await page(client, { paginationLimit: 24 })
    local.send(USER, { title: 'Arrived while scrolling' })
    const second = await page(client, { paginationLimit: 24, startCursor: first.pageInfo!.startCursor! })
    // An offset cursor repeats "Message 7".
    expect(titles(second.nodes)).toEqual(['Message 6', 'Message 5', 'Message 4', 'Message 3', 'Message 2', 'Message 1'])
  })

  it('a socket whose token lacks inbox:read:messages is not pushed the messages its GraphQL hides', async () => {
    const blind = clientFor(await issue({ features: [], scopes: ['inbox:write:events'] }))
    const watcher = clientFor(await issue())
    const [blindEvents, watcherEvents] = await Promise.all([listen(blind), listen(watcher)])
    expect((await page(blind)).nodes).toEqual([])
    local.send(USER, { title: 'Not for a token without inbox:read:messages' })
    // Pushed to both sockets in one loop: once the watcher has it, the blind socket would have too.
    await until(() => watcherEvents.length === 1, "the message on the full token's socket")
    await until(() => blindEvents.length > 0, 'anything on the blind socket', 200).catch(() => {})
    expect(blindEvents).toEqual([])
  })
})

describe('odd input', () => {
  // node:http, not happy-dom's fetch: a page's fetch logs every 4xx to its console, as a browser would.
  const post = (path: string, body: string) =>
    new Promise<{ status: number }>((resolve, reject) => {
      const request = httpRequest(
        `${local.baseUrl}${path}`,
        { method: 'POST', headers: { authorization: `Bearer ${LOCAL_COURIER_API_KEY}` } },
        (response) => {
          response.on('error', () => {}) // the connection the server dropped after its answer
          response.resume()
          resolve({ status: response.statusCode ?? 0 })
        },
      )
      request.on('error', reject)
      request.end(body)
    })

  it.each([
    ['a null body to Issue Token', '/auth/issue-token', 'null'],
    ['a JSON string to the Inbox API', '/inbox/q', '"query"'],
    ['a body that is not JSON', '/auth/issue-token', '{'],
    ['an expires_in of 0', '/auth/issue-token', '{"scope":"user_id:alice","expires_in":"0"}'],
  ])('answers %s with a 400 or 401 and keeps serving', async (_, path, body) => {
    const response = await post(path, body)
    expect([400, 401]).toContain(response.status)
    const issued = await post('/auth/issue-token', JSON.stringify({ scope: `user_id:${USER}`, expires_in: '60s' }))
    expect(issued.status).toBe(200)
  })

  it('refuses a body over a megabyte with a 413', async () => {
    const { port } = new URL(local.baseUrl)
    const client = connect(Number(port), '127.0.0.1')
    client.on('error', () => {}) // the server drops the rest of the body
    const statusLine = new Promise<string>((resolve) => client.once('data', (data) => resolve(String(data).split('\r\n')[0]!)))
    client.write(`POST /auth/issue-token HTTP/1.1\r\nHost: x\r\nContent-Length: 1100000\r\n\r\n${'x'.repeat(1_100_000)}`)
    expect(await statusLine).toBe('HTTP/1.1 413 Payload Too Large')
    client.destroy()
    const issued = await post('/auth/issue-token', JSON.stringify({ scope: `user_id:${USER}`, expires_in: '60s' }))
    expect(issued.status).toBe(200)
  })

  it('closes while a client refused at the socket upgrade keeps its half of the connection open', async () => {
    const { port } = new URL(local.baseUrl)
    const client = connect(Number(port), '127.0.0.1')
    client.on('error', () => {})
    await new Promise((resolve) => client.once('connect', resolve))
    client.write(
      'GET /realtime?auth=nope&userId=alice HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    )
    const answer = await new Promise<string>((resolve) => client.once('data', (data) => resolve(String(data))))
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 401 Unauthorized')
    const closed = await Promise.race([
      local.close().then(() => 'closed'),
      new Promise((resolve) => setTimeout(() => resolve('hung'), 2_000)),
    ])
    expect(closed).toBe('closed')
    client.destroy()
    local = await startLocalCourier({ secret: SECRET })
  })
})
