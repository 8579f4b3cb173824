import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { connect } from '../../src/courier/connect'
import { createTokenManager, type TokenManager } from '../../src/index'
import { fakeCourier, fakeDatastores } from '../helpers/courier-fake'
import { fakeOnline, fakeVisibility } from '../helpers/environment'
import { courierJwt } from '../helpers/jwt'

const HOUR = 3_600_000
const apiUrls = {
  courier: { rest: 'https://rest.test', graphql: 'https://rest.test/q' },
  inbox: { graphql: 'https://inbox.test/q', webSocket: 'wss://socket.test' },
}

const managers: TokenManager[] = []
const disconnects: Array<() => void> = []

/** A manager whose backend hands out Courier tokens for `users` in turn (the last one repeats). */
function manager(...users: Array<string | null>) {
  const tokens: string[] = []
  const queue = users.length ? users : ['alice']
  const manager = createTokenManager({
    crossTab: false,
    fetchToken: async () => {
      const token = courierJwt({ userId: queue.length > 1 ? queue.shift()! : queue[0]! })
      tokens.push(token)
      return token
    },
    online: fakeOnline(),
    visibility: fakeVisibility(),
  })
  managers.push(manager)
  return { manager, tokens }
}

/** A manager for alice whose backend answers 503 while `backend.failing` is set. */
function failingManager() {
  const backend = { failing: false }
  const manager = createTokenManager({
    crossTab: false,
    fetchToken: async () => {
      if (backend.failing) throw Object.assign(new Error('down'), { status: 503 })
      return courierJwt()
    },
    online: fakeOnline(),
    visibility: fakeVisibility(),
  })
  managers.push(manager)
  return { manager, backend }
}

function connected(...args: Parameters<typeof connect>) {
  const disconnect = connect(...args)
  disconnects.push(disconnect)
  return disconnect
}

beforeEach(() => {
  vi.useFakeTimers()
})

afterEach(() => {
  for (const disconnect of disconnects.splice(0)) disconnect()
  for (const each of managers.splice(0)) each.stop()
  expect(vi.getTimerCount()).toBe(0)
  vi.useRealTimers()
})

describe('connect', () => {
  it('signs in with the first token, the user from its scope and the options passed through', async () => {
    const { courier, signIns } = fakeCourier()
    const { manager: tokens } = manager()
    connected(tokens, courier, { tenantId: 'acme', apiUrls, showLogs: false })
    const info = await tokens.start()
    expect(signIns).toEqual([{ userId: 'alice', jwt: info.token, tenantId: 'acme', apiUrls, showLogs: false }])
  })

  it('passes nothing it was not given', async () => {
    const { courier, signIns } = fakeCourier()
    const { manager: tokens } = manager()
    connected(tokens, courier)
    const info = await tokens.start()
    expect(signIns).toEqual([{ userId: 'alice', jwt: info.token }])
  })

  it('signs in at once with a token the manager already holds', async () => {
    const { courier, signIns } = fakeCourier()
    const { manager: tokens } = manager()
    const info = await tokens.start()
    connected(tokens, courier)
    expect(signIns.map((props) => props.jwt)).toEqual([info.token])
  })

  it('does nothing for the token Courier already holds (a second adapter, a StrictMode remount)', async () => {
    const { courier, signIns } = fakeCourier()
    const { manager: tokens } = manager()
    connected(tokens, courier)()
    connected(tokens, courier)
    await tokens.start()
    connected(tokens, courier)
    expect(signIns).toHaveLength(1)
  })

  it('signs in again with the same options on every refreshed token in sign-in mode', async () => {
    const { courier, signIns } = fakeCourier()
    const { manager: tokens, tokens: issued } = manager()
    connected(tokens, courier, { tenantId: 'acme' })
    await tokens.start()
    await tokens.refresh()
    expect(signIns).toEqual(issued.map((jwt) => ({ userId: 'alice', jwt, tenantId: 'acme' })))
  })

  it('never signs in with a token that already expired', async () => {
    const { courier, signIns } = fakeCourier()
    const { manager: tokens } = manager()
    await tokens.start()
    vi.setSystemTime(Date.now() + 2 * HOUR)
    connected(tokens, courier)
    expect(signIns).toEqual([])
  })

  it('refuses a token for another user than userId, saying so', async () => {
    const { courier, signIns } = fakeCourier()
    const warnings: string[] = []
    const { manager: tokens } = manager('mallory')
    connected(tokens, courier, { userId: 'alice', onWarning: (message) => warnings.push(message) })
    await tokens.start()
    expect(signIns).toEqual([])
    expect(warnings).toEqual(['Not signing in to Courier: the token is for user "mallory", not "alice".'])
  })

  it('refuses a token without a user_id scope', async () => {
    const { courier, signIns } = fakeCourier()
    const warnings: string[] = []
    const { manager: tokens } = manager(null)
    connected(tokens, courier, { onWarning: (message) => warnings.push(message) })
    await tokens.start()
    expect(signIns).toEqual([])
    expect(warnings).toEqual([expect.stringContaining('no user_id:<id> scope')])
  })

  it('warns through console.warn by default', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const { courier } = fakeCourier()
    const { manager: tokens } = manager('mallory')
    connected(tokens, courier, { userId: 'alice' })
    await tokens.start()
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^\[courier-token-manager\] Not signing in/))
  })

  it('signs Courier out when the manager reports unauthenticated', async () => {
    const { courier, calls } = fakeCourier()
    const unauthorized = Object.assign(new Error('Unauthorized'), { status: 401 })
    let signedIn = true
    const tokens = createTokenManager({
      crossTab: false,
      fetchToken: async () => {
        if (!signedIn) throw unauthorized
        return courierJwt()
      },
      online: fakeOnline(),
      visibility: fakeVisibility(),
    })
    managers.push(tokens)
    connected(tokens, courier)
    await tokens.start()
    signedIn = false
    await expect(tokens.refresh()).rejects.toMatchObject({ code: 'unauthenticated' })
    expect(calls).toEqual(['signIn alice', 'signOut'])
    expect(courier.client).toBeUndefined()
  })

  it('signs Courier out when its token expires before a new one arrives, and back in with the next', async () => {
    const { courier, calls } = fakeCourier()
    const { manager: tokens, backend } = failingManager()
    connected(tokens, courier)
    const first = await tokens.start()
    backend.failing = true
    await vi.advanceTimersByTimeAsync(first.expiresAt! - Date.now() - 1)
    expect(courier.client?.options.accessToken).toBe(first.token)
    await vi.advanceTimersByTimeAsync(1)
    expect(calls).toEqual(['signIn alice', 'signOut'])
    backend.failing = false
    await vi.advanceTimersByTimeAsync(3 * 60_000)
    expect(calls).toEqual(['signIn alice', 'signOut', 'signIn alice'])
    expect(courier.client?.options.accessToken).toBe(tokens.current!.token)
  })

  it('signs out on expiry a session an earlier adapter started with the same manager (a remount)', async () => {
    const { courier, calls } = fakeCourier()
    const { manager: tokens, backend } = failingManager()
    const first = await tokens.start()
    // The component using the adapter unmounts and mounts again (a route change, StrictMode).
    connected(tokens, courier)()
    connected(tokens, courier)
    backend.failing = true
    await vi.advanceTimersByTimeAsync(first.expiresAt! - Date.now())
    expect(calls).toEqual(['signIn alice', 'signOut'])
    expect(courier.client).toBeUndefined()
  })

  it('signs out, when reconnected, a session an earlier adapter started whose token expired while none was connected', async () => {
    const { courier, calls } = fakeCourier()
    const { manager: tokens, backend } = failingManager()
    const first = await tokens.start()
    connected(tokens, courier)()
    // The Inbox page was left; the token ran out with the backend down. Then the page comes back.
    backend.failing = true
    await vi.advanceTimersByTimeAsync(first.expiresAt! - Date.now())
    connected(tokens, courier)
    expect(calls).toEqual(['signIn alice', 'signOut'])
    backend.failing = false
    await vi.advanceTimersByTimeAsync(3 * 60_000)
    expect(courier.client?.options.accessToken).toBe(tokens.current!.token)
  })

  // Alice signed out, Bob signed in: the app reconnects with Bob's id while the manager still holds Alice's token,
  // or after it refreshed Alice's while the Inbox page was left (Courier then holds an older one).
  it.each([
    { when: 'holding the token Courier has', meanwhile: async () => {} },
    { when: 'after a refresh while disconnected', meanwhile: (tokens: TokenManager) => tokens.refresh() },
  ])('refuses, and signs Courier out of, the previous user’s token when reconnected for another user, $when', async ({ meanwhile }) => {
    const { courier, calls } = fakeCourier()
    const warnings: string[] = []
    const { manager: tokens } = manager('alice')
    await tokens.start()
    connected(tokens, courier)()
    await meanwhile(tokens)
    connected(tokens, courier, { userId: 'bob', onWarning: (message) => warnings.push(message) })
    expect(courier.client).toBeUndefined()
    expect(calls).toEqual(['signIn alice', 'signOut'])
    expect(warnings).toEqual(['Not signing in to Courier: the token is for user "alice", not "bob".'])
  })

  it('signs out a session for another user than userId while its manager has no token yet (a new manager after a user switch)', async () => {
    const { courier, calls } = fakeCourier()
    const warnings: string[] = []
    courier.signIn({ userId: 'alice', jwt: courierJwt({ userId: 'alice' }) })
    const { manager: tokens } = manager('bob')
    connected(tokens, courier, { userId: 'bob', onWarning: (message) => warnings.push(message) })
    expect(calls).toEqual(['signIn alice', 'signOut'])
    expect(warnings).toEqual(['Not signing in to Courier: the token is for user "alice", not "bob".'])
    await tokens.start()
    expect(calls).toEqual(['signIn alice', 'signOut', 'signIn bob'])
  })

  it('leaves a session for the same user, or with no userId given, while its manager has no token yet', () => {
    const { courier, calls } = fakeCourier()
    courier.signIn({ userId: 'alice', jwt: courierJwt({ userId: 'alice' }) })
    connected(manager().manager, courier, { userId: 'alice' })
    connected(manager().manager, courier)
    expect(calls).toEqual(['signIn alice'])
  })

  it('signs in again when the session Courier holds has other options, even with the same token (a tenant switch)', async () => {
    const { courier, signIns } = fakeCourier()
    const { manager: tokens } = manager()
    const info = await tokens.start()
    connected(tokens, courier, { tenantId: 'acme', apiUrls })()
    connected(tokens, courier, { tenantId: 'acme', apiUrls })
    connected(tokens, courier, { tenantId: 'globex', apiUrls })
    expect(signIns).toEqual([
      { userId: 'alice', jwt: info.token, tenantId: 'acme', apiUrls },
      { userId: 'alice', jwt: info.token, tenantId: 'globex', apiUrls },
    ])
  })

  it('asks for one refresh per token when the Inbox datastore sees a 401', async () => {
    const { courier, calls } = fakeCourier()
    const datastores = fakeDatastores(calls)
    const { manager: tokens, tokens: issued } = manager()
    connected(tokens, courier, { inbox: datastores.inbox })
    await tokens.start()
    datastores.fail(401)
    await vi.advanceTimersByTimeAsync(0)
    expect(issued).toHaveLength(2)
    // The same token refused again: no second refresh, so no loop.
    courier.client!.options.accessToken = issued[0]!
    datastores.fail(401)
    await vi.advanceTimersByTimeAsync(0)
    expect(issued).toHaveLength(2)
    // A new token refused: one more.
    courier.client!.options.accessToken = issued[1]!
    datastores.fail(401)
    datastores.fail(401)
    await vi.advanceTimersByTimeAsync(0)
    expect(issued).toHaveLength(3)
    datastores.fail(500)
    await vi.advanceTimersByTimeAsync(0)
    expect(issued).toHaveLength(3)
  })

  it('disconnect() removes every listener and leaves Courier signed in', async () => {
    const { courier, calls } = fakeCourier()
    const datastores = fakeDatastores(calls)
    const { manager: tokens, tokens: issued } = manager()
    const disconnect = connected(tokens, courier, { inbox: datastores.inbox })
    await tokens.start()
    expect(datastores.listeners).toHaveLength(1)
    disconnect()
    expect(datastores.listeners).toHaveLength(0)
    await tokens.refresh()
    expect(calls).toEqual(['signIn alice'])
    expect(courier.client!.options.accessToken).toBe(issued[0])
  })
})

describe('seamless mode', () => {
  it('swaps the token in place, then reconnects the socket and re-attaches realtime listeners after it closed', async () => {
    const { courier, calls } = fakeCourier()
    const datastores = fakeDatastores(calls)
    const { manager: tokens } = manager()
    connected(tokens, courier, { mode: 'seamless', inbox: datastores.inbox, toast: datastores.toast })
    await tokens.start()
    const client = courier.client!
    const socket = courier.openSocket()
    let closedBeforeReattach = false
    datastores.inbox.listenForUpdates = async () => {
      closedBeforeReattach = socket.readyState === 3
      calls.push('inbox.listenForUpdates')
    }
    const second = await tokens.refresh()
    await vi.advanceTimersByTimeAsync(0)
    expect(calls).toEqual(['signIn alice', 'socket.close', 'inbox.listenForUpdates', 'toast.listenForMessages'])
    expect(closedBeforeReattach).toBe(true)
    expect(courier.client).toBe(client)
    expect(client.options).toEqual({ accessToken: second.token, jwt: second.token, userId: 'alice' })
  })

  // A WebSocket URL carries the token (courier-js puts it in the query string), and so can an error about it.
  it('warns when reconnecting fails, without the error, which may quote the token', async () => {
    const { courier, calls } = fakeCourier()
    const datastores = fakeDatastores(calls)
    const warnings: string[] = []
    const { manager: tokens } = manager()
    connected(tokens, courier, { mode: 'seamless', inbox: datastores.inbox, onWarning: (message) => warnings.push(message) })
    await tokens.start()
    courier.openSocket()
    datastores.inbox.listenForUpdates = async () => {
      throw new SyntaxError(
        `Failed to construct 'WebSocket': the URL 'wss://socket.test/?auth=${courier.client!.options.accessToken}' is invalid.`,
      )
    }
    const second = await tokens.refresh()
    await vi.advanceTimersByTimeAsync(0)
    expect(warnings).toEqual(["Reconnecting Courier's socket failed."])
    expect(warnings.join()).not.toContain(second.token)
  })

  it('only swaps when no socket is open', async () => {
    const { courier, calls } = fakeCourier()
    const datastores = fakeDatastores(calls)
    const { manager: tokens } = manager()
    connected(tokens, courier, { mode: 'seamless', inbox: datastores.inbox })
    await tokens.start()
    const second = await tokens.refresh()
    await vi.advanceTimersByTimeAsync(0)
    expect(calls).toEqual(['signIn alice'])
    expect(courier.client!.options.accessToken).toBe(second.token)
  })

  it('signs in again, with one warning, when courier-js internals are not as expected', async () => {
    const { courier, calls } = fakeCourier()
    const warnings: string[] = []
    const { manager: tokens } = manager()
    connected(tokens, courier, { mode: 'seamless', onWarning: (message) => warnings.push(message) })
    await tokens.start()
    // A future courier-js that no longer shares one options object.
    courier.client!.inbox.options = { ...courier.client!.options }
    await tokens.refresh()
    courier.client!.inbox.options = { ...courier.client!.options }
    await tokens.refresh()
    expect(calls).toEqual(['signIn alice', 'signIn alice', 'signIn alice'])
    expect(warnings).toEqual([expect.stringContaining('does not recognise this courier-js version')])
  })

  it('signs in again when a socket is open but no inbox datastore was given to re-attach', async () => {
    const { courier, calls } = fakeCourier()
    const warnings: string[] = []
    const { manager: tokens } = manager()
    connected(tokens, courier, { mode: 'seamless', onWarning: (message) => warnings.push(message) })
    await tokens.start()
    courier.openSocket()
    await tokens.refresh()
    expect(calls).toEqual(['signIn alice', 'signIn alice'])
    expect(warnings).toEqual([expect.stringContaining('inbox: CourierInboxDatastore.shared')])
  })

  it('gives a new user a full sign-in', async () => {
    const { courier, calls } = fakeCourier()
    const datastores = fakeDatastores(calls)
    const warnings: string[] = []
    const { manager: tokens } = manager('alice', 'bob')
    connected(tokens, courier, { mode: 'seamless', inbox: datastores.inbox, onWarning: (message) => warnings.push(message) })
    await tokens.start()
    await tokens.refresh()
    expect(calls).toEqual(['signIn alice', 'signIn bob'])
    expect(warnings).toEqual([])
  })

  /** Seamless mode, a socket open, a refresh closing it, and disconnect() before it has closed; then `meanwhile`, still before. */
  async function disconnectedMidReconnect(meanwhile = (_courier: ReturnType<typeof fakeCourier>['courier']) => {}) {
    const { courier, calls } = fakeCourier()
    const datastores = fakeDatastores(calls)
    const { manager: tokens } = manager()
    const disconnect = connected(tokens, courier, { mode: 'seamless', inbox: datastores.inbox })
    await tokens.start()
    courier.openSocket()
    await tokens.refresh()
    disconnect()
    meanwhile(courier)
    return { courier, calls, tokens }
  }

  it('finishes a reconnect begun before disconnect(), and starts no other', async () => {
    const { courier, calls, tokens } = await disconnectedMidReconnect()
    await vi.advanceTimersByTimeAsync(0)
    // The socket it closed is reopened: the Inbox would otherwise never hear of a new message again.
    expect(calls).toEqual(['signIn alice', 'socket.close', 'inbox.listenForUpdates'])
    courier.openSocket()
    await tokens.refresh()
    await vi.advanceTimersByTimeAsync(0)
    expect(calls).toEqual(['signIn alice', 'socket.close', 'inbox.listenForUpdates'])
  })

  it('does not re-attach when Courier signed out while the socket was closing', async () => {
    const { calls } = await disconnectedMidReconnect((courier) => courier.signOut())
    await vi.advanceTimersByTimeAsync(0)
    expect(calls).toEqual(['signIn alice', 'socket.close', 'signOut'])
  })
})
