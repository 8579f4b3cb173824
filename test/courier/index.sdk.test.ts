// connectCourier with the real @trycourier/courier-js 3.4.0 and @trycourier/courier-ui-inbox 2.4.7,
// unmodified, pointed at a loopback stub of Courier's API. Assertions are on what the SDK itself sends.
import '../helpers/happy-dom-conformance'
import { Courier } from '@trycourier/courier-js'
import { CourierInboxDatastore } from '@trycourier/courier-ui-inbox'
import { CourierToastDatastore } from '@trycourier/courier-ui-toast'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { connectCourier } from '../../src/courier/index'
import { createTokenManager, type TokenManager } from '../../src/index'
import { startCourierStub, type CourierStub } from '../helpers/courier-stub'
import { courierJwt } from '../helpers/jwt'

let stub: CourierStub
let manager: TokenManager
let disconnect: () => void = () => {}
let element: HTMLElement
let issued: string[]
let lifetime: number

const until = async (condition: () => boolean, what: string, timeout = 5_000) => {
  const deadline = Date.now() + timeout
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

const inboxQueries = () => stub.graphql.filter((call) => call.operation === 'GetInboxMessages')
const shows = (text: string) => element.textContent?.includes(text) ?? false
const socketWith = (token: string) => stub.subscribed().some((call) => call.token === token)
const message = (messageId: string, title: string) => ({ messageId, title, created: new Date().toISOString() })

beforeEach(async () => {
  stub = await startCourierStub()
  stub.messages.push(message('m1', 'Welcome aboard'))
  issued = []
  lifetime = 3600
  manager = createTokenManager({
    crossTab: false,
    fetchToken: async () => {
      const token = courierJwt({ lifetime })
      issued.push(token)
      return token
    },
  })
  element = document.createElement('courier-inbox')
  document.body.append(element)
})

afterEach(async () => {
  disconnect()
  manager.stop()
  Courier.shared.signOut()
  element.remove()
  await stub.close()
})

/** Connects, starts, and waits until the Inbox has loaded and its socket has subscribed. */
async function signedIn(mode: 'sign-in' | 'seamless', apiUrls = stub.apiUrls) {
  disconnect = connectCourier(manager, { mode, apiUrls, inbox: CourierInboxDatastore.shared })
  const first = await manager.start()
  await until(() => inboxQueries().length >= 2 && socketWith(first.token) && shows('Welcome aboard'), 'the first load')
  return first
}

describe('connectCourier with the real Courier SDK', () => {
  it('signs in: the Inbox loads with the token and its socket subscribes with it', async () => {
    const first = await signedIn('sign-in')
    expect(Courier.shared.client?.options.userId).toBe('alice')
    expect(inboxQueries().map((call) => [call.token, call.userId, call.status])).toEqual([
      [first.token, 'alice', 200],
      [first.token, 'alice', 200],
    ])
    expect(stub.subscribed().map((call) => [call.token, call.userId])).toEqual([[first.token, 'alice']])
  })

  it('sign-in mode: after a refresh the Inbox refetches and reconnects with the new token', async () => {
    await signedIn('sign-in')
    const auth: Array<string | undefined> = []
    const listener = Courier.shared.addAuthenticationListener(({ userId }) => auth.push(userId))
    const before = inboxQueries().length
    const second = await manager.refresh()
    listener.remove()
    // The supported path: auth listeners see a brief signed-out state.
    expect(auth).toEqual([undefined, 'alice'])
    await until(() => inboxQueries().length >= before + 2 && socketWith(second.token), 'the refetch')
    expect(
      inboxQueries()
        .slice(before)
        .every((call) => call.token === second.token),
    ).toBe(true)
    expect(stub.subscribed().map((call) => call.token)).toEqual([second.token])
    expect(shows('Welcome aboard')).toBe(true)
  })

  it('seamless mode: a refresh swaps the token without a refetch, and realtime messages still arrive', async () => {
    await signedIn('seamless')
    const auth: Array<string | undefined> = []
    const listener = Courier.shared.addAuthenticationListener(({ userId }) => auth.push(userId))
    try {
      const before = inboxQueries().length
      const client = Courier.shared.client
      const second = await manager.refresh()
      await until(() => socketWith(second.token), 'the socket to reconnect with the new token')

      // Same client, no auth flicker, no refetch; the old socket is gone.
      expect(Courier.shared.client).toBe(client)
      expect(auth).toEqual([])
      expect(inboxQueries()).toHaveLength(before)
      expect(stub.subscribed().map((call) => call.token)).toEqual([second.token])

      // Realtime updates still reach the mounted Inbox through the new socket.
      stub.push(message('m2', 'Sent after the refresh'))
      await until(() => shows('Sent after the refresh'), 'the realtime message')
      expect(shows('Welcome aboard')).toBe(true)

      // And the next Inbox request carries the new token.
      const [dataset] = Object.values(CourierInboxDatastore.shared.getDatasets())
      await CourierInboxDatastore.shared.readMessage({ message: dataset!.messages.find((each) => each.messageId === 'm2')! })
      expect(stub.graphql.at(-1)).toMatchObject({ operation: 'TrackEvent', token: second.token, status: 200 })
    } finally {
      listener.remove()
    }
  })

  it('seamless mode: apiUrls with an empty field (courier-js fills in its default) still swaps in place', async () => {
    // The Inbox never calls courier.rest, so its default (unreachable here) is never asked.
    await signedIn('seamless', { ...stub.apiUrls, courier: { ...stub.apiUrls.courier, rest: '' } })
    const client = Courier.shared.client
    const second = await manager.refresh()
    await until(() => socketWith(second.token), 'the socket to reconnect with the new token')
    expect(Courier.shared.client).toBe(client)
  })

  it('seamless mode: a mounted <courier-toast> still shows new messages after the socket reconnects', async () => {
    const toast = document.createElement('courier-toast')
    document.body.append(toast)
    try {
      disconnect = connectCourier(manager, {
        mode: 'seamless',
        apiUrls: stub.apiUrls,
        inbox: CourierInboxDatastore.shared,
        toast: CourierToastDatastore.shared,
      })
      const first = await manager.start()
      await until(() => socketWith(first.token) && shows('Welcome aboard'), 'the first load')
      const second = await manager.refresh()
      await until(() => socketWith(second.token), 'the socket to reconnect with the new token')
      stub.push(message('m3', 'Toasted after the refresh'))
      await until(() => toast.textContent?.includes('Toasted after the refresh') ?? false, 'the toast')
    } finally {
      toast.remove()
    }
  })

  it('seamless mode: a refresh after the socket dropped reconnects it with the Inbox listening, as a sign-in would', async () => {
    await signedIn('seamless')
    // The connection drops; courier-js clears the Inbox's listener on every close and retries later
    // (here in 1 s, as Courier may ask; after 5 failed retries, never).
    stub.subscribed()[0]!.socket.close(4000, JSON.stringify({ 'Retry-After': '1' }))
    const internals = Courier.shared.client!.inbox.socket as unknown as { webSocket: WebSocket }
    await until(() => internals.webSocket.readyState === 3, 'courier-js to see the socket closed')
    const second = await manager.refresh()
    await until(() => socketWith(second.token), 'the socket to reconnect with the new token')
    stub.push(message('m2', 'Sent after the drop'))
    await until(() => shows('Sent after the drop'), 'the realtime message')
  })

  it('seamless mode: disconnect() while the socket is reconnecting still leaves the Inbox a live socket', async () => {
    await signedIn('seamless')
    const second = await manager.refresh()
    // The component holding the adapter unmounts (a route change, StrictMode) before the old socket closed.
    disconnect()
    disconnect = connectCourier(manager, { mode: 'seamless', apiUrls: stub.apiUrls, inbox: CourierInboxDatastore.shared })
    await until(() => socketWith(second.token), 'the socket to reconnect with the new token')
    stub.push(message('m2', 'Sent after the remount'))
    await until(() => shows('Sent after the remount'), 'the realtime message')
  })

  it.each(['sign-in', 'seamless'] as const)(
    '%s mode: no request or socket ever carries an expired token, cycle after cycle',
    async (mode) => {
      // Tokens that live 6 s (5 s counted conservatively): refreshed every 1.25 to 2.5 s, well before they expire.
      lifetime = 6
      manager.stop()
      manager = createTokenManager({
        crossTab: false,
        refreshMargin: 3_000,
        fetchToken: async () => {
          const token = courierJwt({ lifetime })
          issued.push(token)
          return token
        },
      })
      await signedIn(mode)
      // Keep the Inbox busy the whole time, as a user would.
      let busy = true
      const poll = (async () => {
        while (busy) {
          await CourierInboxDatastore.shared.loadUnreadCountsForTabs(['all_messages']).catch(() => {})
          await new Promise((resolve) => setTimeout(resolve, 200))
        }
      })()
      await until(() => issued.length >= 6 && socketWith(issued[5]!), 'five refreshes', 20_000)
      busy = false
      await poll
      expect(stub.graphql.filter((call) => call.operation === 'GetUnreadCounts').length).toBeGreaterThan(20)
      expect(stub.graphql.filter((call) => call.status !== 200)).toEqual([])
      expect(stub.sockets.every((call) => issued.includes(call.token!))).toBe(true)
      expect(stub.sockets.map((call) => call.socket.readyState === 1)).toContain(true)
      expect(shows('Welcome aboard')).toBe(true)
    },
  )

  it('asks the manager for one new token when the Inbox datastore sees a 401', async () => {
    await signedIn('sign-in')
    stub.refuse.add('TrackEvent')
    const [dataset] = Object.values(CourierInboxDatastore.shared.getDatasets())
    await CourierInboxDatastore.shared.readMessage({ message: dataset!.messages[0]! })
    await until(() => issued.length === 2 && Courier.shared.client?.options.accessToken === issued[1], 'the refresh')
    expect(stub.graphql.filter((call) => call.status === 401)).toHaveLength(1)
    // The browser reports the refused request, as a browser's devtools would; nothing else.
    expect(stub.takeBrowserErrors()).toEqual([`POST ${stub.apiUrls.inbox.graphql} 401 (Unauthorized)`])
  })

  it('signs Courier out when the backend says the user is signed out', async () => {
    await signedIn('sign-in')
    manager.stop()
    manager = createTokenManager({
      crossTab: false,
      fetchToken: async () => {
        throw Object.assign(new Error('Unauthorized'), { status: 401 })
      },
    })
    disconnect()
    disconnect = connectCourier(manager, { apiUrls: stub.apiUrls, inbox: CourierInboxDatastore.shared })
    await expect(manager.start()).rejects.toMatchObject({ code: 'unauthenticated' })
    expect(Courier.shared.client).toBeUndefined()
    await until(() => stub.subscribed().length === 0, 'the socket to close')
  })
})
