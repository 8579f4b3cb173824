// What a consumer's own test does: the packed package from node_modules, the real courier-js, default options.
// Shared by the happy-dom and jsdom files; run by test/e2e/consumer.test.ts in a throwaway project.
import { Courier } from '@trycourier/courier-js'
import { createTokenManager, type TokenManager } from 'courier-token-manager'
import { connectCourier } from 'courier-token-manager/courier'
import { afterEach, expect, it, vi } from 'vitest'

// Taken before any test fakes the timers: the deadline below must run on real time.
const { setTimeout: realSetTimeout, clearTimeout: realClearTimeout } = globalThis
// Real time. A first token takes far less, even with waits for other tabs (at most 1.1 s without Web Locks).
const DEADLINE_MS = 3_000

const base64url = (json: object) => btoa(JSON.stringify(json)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')

function mintToken(): string {
  const now = Math.floor(Date.now() / 1000)
  const claims = { scope: 'user_id:alice inbox:read:messages inbox:write:events', iat: now, exp: now + 3600 }
  return `${base64url({ alg: 'HS256', typ: 'JWT' })}.${base64url(claims)}.${base64url({ signature: 'unchecked' })}`
}

/** Whether `promise` settles within DEADLINE_MS of real time: a clear failure instead of the test timeout. */
async function settles(promise: Promise<unknown>): Promise<boolean> {
  let deadline: ReturnType<typeof setTimeout> | undefined
  const late = new Promise<false>((done) => (deadline = realSetTimeout(() => done(false), DEADLINE_MS)))
  const settled = promise.then(
    () => true,
    () => true,
  )
  return Promise.race([settled, late]).finally(() => realClearTimeout(deadline))
}

let manager: TokenManager | undefined
let disconnect: (() => void) | undefined

afterEach(() => {
  manager?.stop() // also rejects a start() still waiting
  disconnect?.()
  Courier.shared.signOut()
  vi.useRealTimers()
})

export function testStart(environment: RegExp): void {
  it('places the expiry by the expiresIn fetchToken answers, under vi.useFakeTimers()', async () => {
    vi.useFakeTimers()
    // An hour-long token the backend says has a minute left (it reused it): a minute it is.
    manager = createTokenManager({ fetchToken: async () => ({ token: mintToken(), expiresIn: 60 }) })
    const started = Date.now()
    const info = await manager.start()
    expect(info.expiresAt).toBe(started + 60_000)
  })

  it('runs in the environment it names', () => {
    expect(navigator.userAgent).toMatch(environment)
  })

  it.each([
    ['real timers', false],
    ['vi.useFakeTimers(), no timer advanced', true],
  ])('await manager.start() resolves with %s, and signs Courier.shared in', async (timers, fake) => {
    if (fake) vi.useFakeTimers()
    const token = mintToken()
    manager = createTokenManager({ fetchToken: async () => token })
    disconnect = connectCourier(manager)
    const start = manager.start()
    if (!(await settles(start)))
      expect.fail(`await manager.start() still pending ${DEADLINE_MS} ms (real time) after it was called, with ${timers}`)
    const info = await start
    expect(info.token).toBe(token)
    expect(info.userId).toBe('alice')
    // The Courier.shared this file imports is the adapter's: one courier-js, not an ESM and a CommonJS copy.
    expect(Courier.shared.client?.options.accessToken).toBe(token)
    expect(Courier.shared.client?.options.userId).toBe('alice')
  })
}
