import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  createTokenManager,
  DEFAULT_REFRESH_MARGIN_MS,
  DEFAULT_RETRY,
  DEFAULT_TIMEOUT_MS,
  CLOCK_CHECK_INTERVAL_MS,
  MIN_REFRESH_INTERVAL_MS,
  MIN_RETRY_DELAY_MS,
  TokenManagerError,
  type TokenEvents,
  type TokenInfo,
  type TokenManager,
  type TokenManagerOptions,
  type UrlSource,
  type TokenManagerSettings,
} from '../src/index'
import { fakeBackend, jsonResponse, tokenResponse, type Reply } from './helpers/backend'
import { fakeOnline, fakeVisibility } from './helpers/environment'
import { courierJwt, makeJwt, type CourierJwtOptions } from './helpers/jwt'

const ENDPOINT = 'https://app.test/api/generate-courier-jwt'
const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR
const EVENT_TYPES = ['token', 'refreshing', 'error', 'unauthenticated', 'expired', 'warning', 'status'] as const

const managers: TokenManager[] = []

/** A manager against a fake backend that answers with fresh Courier tokens unless told otherwise. */
function setup(options: Partial<UrlSource & TokenManagerSettings> = {}, token: CourierJwtOptions = {}) {
  const times: number[] = []
  const backend = fakeBackend(() => tokenResponse(courierJwt(token)))
  const fetch: typeof globalThis.fetch = (input, init) => {
    times.push(Date.now())
    return backend.fetch(input, init)
  }
  const online = fakeOnline()
  const visibility = fakeVisibility()
  const manager = createTokenManager({ crossTab: false, url: ENDPOINT, fetch, online, visibility, ...options })
  managers.push(manager)
  const events: Array<{ type: keyof TokenEvents; event: unknown; at: number }> = []
  for (const type of EVENT_TYPES) manager.on(type, (event) => events.push({ type, event, at: Date.now() }))
  const of = <K extends keyof TokenEvents>(type: K) => events.filter((e) => e.type === type).map((e) => e.event as TokenEvents[K])
  return { manager, backend, times, online, visibility, events, of }
}

const reply = (backend: { reply(...replies: Reply[]): void }, ...replies: Reply[]) => backend.reply(...replies)
const status =
  (code: number, headers: Record<string, string> = {}) =>
  () =>
    jsonResponse({ message: 'no' }, { status: code, headers })
const gaps = (times: number[]) => times.slice(1).map((time, i) => time - times[i]!)
/** Lets the fake fetch and the promise chain behind it settle without moving the clock. */
const settle = () => vi.advanceTimersByTimeAsync(0)

beforeEach(() => {
  vi.useFakeTimers()
  vi.setSystemTime(new Date('2026-03-01T09:00:00Z'))
})

afterEach(() => {
  for (const manager of managers.splice(0)) manager.stop()
  // Nothing may outlive stop(): no timer, in any test.
  expect(vi.getTimerCount()).toBe(0)
  vi.useRealTimers()
})

describe('construction', () => {
  it('needs exactly one of url or fetchToken', () => {
    expect(() => createTokenManager({} as TokenManagerOptions)).toThrow(TypeError)
    expect(() =>
      createTokenManager({ crossTab: false, url: ENDPOINT, fetchToken: async () => 'x' } as unknown as TokenManagerOptions),
    ).toThrow(/either url or fetchToken/)
  })

  it.each([
    { refreshMargin: -1 },
    { refreshMargin: Number.NaN },
    { retry: { limit: -1 } },
    { retry: { maxDelay: Infinity } },
    { retry: { maxRetryAfter: -1 } },
    { retry: { maxRetryAfter: '1h' } },
    { request: { timeout: -5 } },
    { request: { timeout: 0 } },
  ])('rejects %j with a TypeError', (options) => {
    expect(() => createTokenManager({ crossTab: false, url: ENDPOINT, ...options } as TokenManagerOptions)).toThrow(TypeError)
  })

  it('takes retry.maxRetryAfter: Infinity as no ceiling, and ignores retry keys it does not know', () => {
    expect(() => createTokenManager({ crossTab: false, url: ENDPOINT, retry: { maxRetryAfter: Infinity } }).stop()).not.toThrow()
    const kyStyle = { limit: 2, methods: ['get'] } as NonNullable<TokenManagerOptions['retry']>
    expect(() => createTokenManager({ crossTab: false, url: ENDPOINT, retry: kyStyle }).stop()).not.toThrow()
  })

  it('takes a timeout beyond setTimeout\'s 2^31 − 1 ms as "never", not as "at once"', async () => {
    // Browsers and Node fire a longer timer after 1 ms; fake timers do not, so this clock does.
    const clock = {
      now: () => Date.now(),
      setTimeout: (callback: () => void, ms: number) => setTimeout(callback, ms > 2 ** 31 - 1 ? 1 : ms),
      clearTimeout,
    }
    const { manager, backend, of } = setup({ request: { timeout: 3e9 }, clock })
    backend.reply(() => new Promise<Response>((resolve) => setTimeout(() => resolve(tokenResponse(courierJwt())), 10 * SECOND)))
    const started = manager.start()
    await vi.advanceTimersByTimeAsync(10 * SECOND)
    await expect(started).resolves.toMatchObject({ userId: 'alice' })
    expect(of('error')).toEqual([])
    expect(backend.requests).toHaveLength(1)
  })

  it('rejects an unknown feature, naming it', () => {
    expect(() => createTokenManager({ crossTab: false, url: ENDPOINT, features: ['inbox', 'chat' as 'inbox'] })).toThrow(/"chat"/)
  })

  it('does nothing until started: no request, no timer, no listener', async () => {
    const { manager, backend, online, visibility } = setup()
    await settle()
    expect(manager.status).toBe('idle')
    expect(manager.current).toBeUndefined()
    expect(backend.requests).toHaveLength(0)
    expect(vi.getTimerCount()).toBe(0)
    expect(online.listeners + visibility.listeners).toBe(0)
  })
})

describe('fetching', () => {
  it('start() resolves with the token, its user, scopes and expiry', async () => {
    const { manager, backend, of } = setup()
    const info = await manager.start()
    expect(info.userId).toBe('alice')
    expect(info.scopes).toEqual(['user_id:alice', 'inbox:read:messages', 'inbox:write:events'])
    // Counted from the request's start, a second early: iat is whole seconds.
    expect(info.expiresAt).toBe(Date.now() + HOUR - SECOND)
    expect(info.tenantId).toBe('tenant-1')
    expect(manager.current).toBe(info)
    expect(manager.status).toBe('ready')
    expect(backend.requests).toHaveLength(1)
    expect(backend.requests[0]!.method).toBe('GET')
    expect(backend.requests[0]!.url).toBe(ENDPOINT)
    expect(of('refreshing')).toEqual([{ reason: 'start' }])
    expect(of('token')).toEqual([info])
    expect(of('status')).toEqual(['loading', 'ready'])
  })

  it('start() is idempotent', async () => {
    const { manager, backend } = setup()
    const [a, b] = await Promise.all([manager.start(), manager.start()])
    expect(a).toBe(b)
    expect(await manager.start()).toBe(a)
    expect(backend.requests).toHaveLength(1)
  })

  it('getToken() starts an idle manager and then answers from memory', async () => {
    const { manager, backend } = setup()
    const token = await manager.getToken()
    expect(token).toBe(manager.current!.token)
    expect(await manager.getToken()).toBe(token)
    expect(backend.requests).toHaveLength(1)
  })

  it('shares one request among any number of concurrent getToken() and refresh() calls', async () => {
    const { manager, backend } = setup()
    const results = await Promise.all([
      ...Array.from({ length: 10 }, () => manager.getToken()),
      ...Array.from({ length: 5 }, async () => (await manager.refresh()).token),
    ])
    expect(new Set(results).size).toBe(1)
    expect(backend.requests).toHaveLength(1)
    expect(backend.maxInFlight).toBe(1)
  })

  it('refresh() fetches a new token even while the current one is valid', async () => {
    const { manager, backend, of } = setup()
    const first = await manager.start()
    await vi.advanceTimersByTimeAsync(SECOND)
    const second = await manager.refresh()
    expect(second.token).not.toBe(first.token)
    expect(manager.current).toBe(second)
    expect(backend.requests).toHaveLength(2)
    expect(of('refreshing').at(-1)).toEqual({ reason: 'manual' })
  })

  it('resolves a refresh() called from a token handler with the token it fetched, not the one being handled', async () => {
    const { manager, backend } = setup()
    let refreshed: Promise<TokenInfo> | undefined
    // E.g. a handler that finds a token lacking something and asks for another.
    manager.on('token', () => {
      refreshed ??= manager.refresh()
    })
    const first = await manager.start()
    const second = await refreshed!
    expect(backend.requests).toHaveLength(2)
    expect(second.token).not.toBe(first.token)
    expect(second).toBe(manager.current)
  })

  it('sends the request options, calling a headers function on every request', async () => {
    let csrf = 0
    const { manager, backend } = setup({
      request: { method: 'POST', credentials: 'include', body: 'feature=inbox', headers: () => ({ 'x-csrf-token': `t${++csrf}` }) },
    })
    await manager.start()
    await manager.refresh()
    expect(backend.requests.map((request) => request.headers.get('x-csrf-token'))).toEqual(['t1', 't2'])
    expect(backend.requests[0]!.method).toBe('POST')
    expect(backend.requests[0]!.credentials).toBe('include')
    expect(backend.bodies).toEqual(['feature=inbox', 'feature=inbox'])
  })

  it('looks up globalThis.fetch at request time when no fetch option is given', async () => {
    const manager = createTokenManager({ crossTab: false, url: ENDPOINT, online: fakeOnline(), visibility: fakeVisibility() })
    managers.push(manager)
    const patched = fakeBackend(() => tokenResponse(courierJwt()))
    vi.stubGlobal('fetch', patched.fetch)
    try {
      await manager.start()
      expect(patched.requests).toHaveLength(1)
    } finally {
      vi.unstubAllGlobals()
    }
  })

  it('works with fetchToken, which receives an abort signal', async () => {
    const signals: AbortSignal[] = []
    const manager = createTokenManager({
      crossTab: false,
      fetchToken: async ({ signal }) => {
        signals.push(signal)
        return { token: courierJwt({ userId: 'bob' }) }
      },
      online: fakeOnline(),
      visibility: fakeVisibility(),
    })
    managers.push(manager)
    expect((await manager.start()).userId).toBe('bob')
    expect(signals[0]).toBeInstanceOf(AbortSignal)
  })

  it('treats a 401 thrown by fetchToken as signed out', async () => {
    const manager = createTokenManager({
      crossTab: false,
      fetchToken: async () => {
        throw Object.assign(new Error('Unauthorized'), { status: 401 })
      },
      online: fakeOnline(),
      visibility: fakeVisibility(),
    })
    managers.push(manager)
    await expect(manager.start()).rejects.toMatchObject({ code: 'unauthenticated', status: 401 })
  })
})

describe('scheduling (1)', () => {
  it('refreshes between expiresAt − 1.5·margin and expiresAt − margin, cycle after cycle', async () => {
    const margin = 5 * MINUTE
    const { manager, backend, times } = setup({ refreshMargin: margin })
    await manager.start()
    await vi.advanceTimersByTimeAsync(12 * HOUR)
    expect(times.length).toBeGreaterThanOrEqual(12)
    for (const gap of gaps(times)) {
      // Each token lives an hour from the moment its request started, counted a second short.
      expect(gap).toBeGreaterThanOrEqual(HOUR - SECOND - 1.5 * margin)
      expect(gap).toBeLessThanOrEqual(HOUR - SECOND - margin)
    }
    // The jitter comes from each token: the moments differ from cycle to cycle.
    expect(new Set(gaps(times)).size).toBeGreaterThan(5)
    expect(backend.maxInFlight).toBe(1)
  })

  it('picks the same moment for the same token in every tab', async () => {
    const token = courierJwt()
    const moments: number[][] = [[], []]
    for (const seen of moments) {
      // The shared token first, a token of its own at the refresh.
      let calls = 0
      const tab = createTokenManager({
        crossTab: false,
        fetchToken: async () => (calls++ ? courierJwt() : token),
        online: fakeOnline(),
        visibility: fakeVisibility(),
      })
      managers.push(tab)
      tab.on('refreshing', () => seen.push(Date.now()))
      await tab.start()
    }
    await vi.advanceTimersByTimeAsync(HOUR)
    expect(moments[0]).toHaveLength(2)
    expect(moments[1]![1]).toBe(moments[0]![1])
  })

  it('uses DEFAULT_REFRESH_MARGIN_MS by default', async () => {
    const { manager, times } = setup()
    await manager.start()
    await vi.advanceTimersByTimeAsync(HOUR)
    expect(gaps(times)).toHaveLength(1)
    // The hour is counted a second short (see placeOnLocalClock).
    expect(gaps(times)[0]).toBeGreaterThanOrEqual(HOUR - SECOND - 1.5 * DEFAULT_REFRESH_MARGIN_MS)
    expect(gaps(times)[0]).toBeLessThanOrEqual(HOUR - SECOND - DEFAULT_REFRESH_MARGIN_MS)
  })

  it('keeps the refresh inside the second half of a token shorter-lived than three margins', async () => {
    const { manager, times } = setup({ refreshMargin: 10 * MINUTE }, { lifetime: 8 * 60 })
    await manager.start()
    await vi.advanceTimersByTimeAsync(8 * MINUTE)
    // m = min(10 min, 4 min) = 4 min: the refresh falls between 2 and 4 minutes in.
    expect(gaps(times)[0]).toBeGreaterThanOrEqual(2 * MINUTE)
    expect(gaps(times)[0]).toBeLessThanOrEqual(4 * MINUTE)
  })
})

describe('clock skew (2)', () => {
  it.each([
    ['an hour fast', -HOUR],
    ['an hour slow', +HOUR],
  ])('refreshes on time when the client clock is %s', async (_, serverOffset) => {
    const backend = fakeBackend(() => tokenResponse(courierJwt({ issuedAt: Date.now() + serverOffset, lifetime: 600 })))
    const times: number[] = []
    const manager = createTokenManager({
      crossTab: false,
      url: ENDPOINT,
      fetch: (input, init) => {
        times.push(Date.now())
        return backend.fetch(input, init)
      },
      online: fakeOnline(),
      visibility: fakeVisibility(),
    })
    managers.push(manager)
    const info = await manager.start()
    expect(info.expiresAt).toBe(Date.now() + 10 * MINUTE - SECOND)
    await vi.advanceTimersByTimeAsync(30 * MINUTE)
    // 10-minute tokens (counted a second short) refreshed 2 to 3 minutes early: every 7 to 8 minutes, never a hot loop.
    expect(gaps(times).length).toBeGreaterThanOrEqual(3)
    for (const gap of gaps(times)) {
      expect(gap).toBeGreaterThanOrEqual(7 * MINUTE - SECOND)
      expect(gap).toBeLessThanOrEqual(8 * MINUTE)
    }
  })

  // The review's case: a backend's token cache (createTokenHandler's default) hands a second device the
  // token the first got 9 minutes earlier, through fetchToken (no Date header), one clock for all.
  it('never holds a reused token past its real expiry without a Date header: getToken() hands out no expired token', async () => {
    const issuedAt = Date.now() - 9 * MINUTE
    const reused = courierJwt({ issuedAt, lifetime: 600 })
    let fresh = 0
    const manager = createTokenManager({
      crossTab: false,
      fetchToken: async () => (fresh++ ? courierJwt({ lifetime: 600 }) : reused),
      online: fakeOnline(),
      visibility: fakeVisibility(),
    })
    managers.push(manager)
    const realExpiry = Math.floor(issuedAt / 1000) * 1000 + 10 * MINUTE
    expect((await manager.start()).expiresAt).toBeLessThanOrEqual(realExpiry)
    for (let elapsed = 0; elapsed < 3 * MINUTE; elapsed += 5 * SECOND) {
      const token = await manager.getToken()
      if (token === reused) expect(Date.now()).toBeLessThan(realExpiry)
      await vi.advanceTimersByTimeAsync(5 * SECOND)
    }
    expect(fresh).toBeGreaterThan(1)
  })

  // The residual case of placing without server time (a client clock behind, a reused token), closed by
  // expiresIn: the backend's word on the seconds left, counted from the request's start.
  it.each([
    { answer: 'a bare JWT', withExpiresIn: false, late: true },
    { answer: '{ token, expiresIn }', withExpiresIn: true, late: false },
  ])(
    'places a reused token from fetchToken, on a client clock 5 minutes behind, exactly with expiresIn ($answer)',
    async ({ withExpiresIn, late }) => {
      const behind = 5 * MINUTE
      const issuedAt = Date.now() - 9 * MINUTE
      const reused = courierJwt({ issuedAt, lifetime: 600 })
      const realExpiry = Math.floor(issuedAt / 1000) * 1000 + 10 * MINUTE
      const clock = {
        now: () => Date.now() - behind,
        setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
        clearTimeout: (id: unknown) => clearTimeout(id as number),
      }
      const manager = createTokenManager({
        crossTab: false,
        clock,
        fetchToken: async () => (withExpiresIn ? { token: reused, expiresIn: Math.floor((realExpiry - Date.now()) / 1000) } : reused),
        online: fakeOnline(),
        visibility: fakeVisibility(),
      })
      managers.push(manager)
      const placed = (await manager.start()).expiresAt!
      // On the client's clock, the token really expires at realExpiry − behind.
      if (late) expect(placed).toBeGreaterThan(realExpiry - behind)
      else expect(placed).toBe(realExpiry - behind)
    },
  )

  it('trusts the Date header over iat for a token the backend cached', async () => {
    const now = Date.now()
    const backend = fakeBackend(() =>
      tokenResponse(courierJwt({ issuedAt: now - 50 * MINUTE, lifetime: 3600 }), { headers: { date: new Date(now).toUTCString() } }),
    )
    const cached = createTokenManager({
      crossTab: false,
      url: ENDPOINT,
      fetch: backend.fetch,
      online: fakeOnline(),
      visibility: fakeVisibility(),
    })
    managers.push(cached)
    expect((await cached.start()).expiresAt).toBe(now + 10 * MINUTE - SECOND)
  })
})

describe('tokens without expiry (3)', () => {
  it('uses the token, schedules nothing and warns how to fix the backend', async () => {
    const { manager, backend, of } = setup({}, { lifetime: null })
    const info = await manager.start()
    expect(info.expiresAt).toBeUndefined()
    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(30 * DAY)
    expect(backend.requests).toHaveLength(1)
    expect(await manager.getToken()).toBe(info.token)
    expect(of('warning')).toEqual([[expect.objectContaining({ code: 'no-expiry', message: expect.stringContaining('expires_in') })]])
  })
})

describe('short-lived and expired tokens (4)', () => {
  it('judges a token arriving on the millisecond it expires at one moment: accepted or refused, never a crash', async () => {
    const expiry = 1_800_000_000_000
    for (let early = 1; early <= 40; early++) {
      // A clock that moves a millisecond on every reading, so some reading lands on the expiry.
      let now = expiry - early
      const clock = {
        now: () => now++,
        setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
        clearTimeout: (id: unknown) => clearTimeout(id as number),
      }
      const manager = createTokenManager({
        crossTab: false,
        clock,
        online: fakeOnline(),
        visibility: fakeVisibility(),
        fetchToken: async () => makeJwt({ scope: 'user_id:alice inbox:read:messages inbox:write:events', exp: expiry / 1000 }),
      })
      managers.push(manager)
      const outcome = await manager.start().then(
        () => 'accepted',
        (error: unknown) => (error instanceof TokenManagerError ? error.code : String(error)),
      )
      expect(['accepted', 'invalid-token']).toContain(outcome)
      manager.stop()
    }
  })

  it('refreshes a token shorter-lived than the margin before it expires, at most once per MIN_REFRESH_INTERVAL_MS', async () => {
    const { manager, times, of, events } = setup({}, { lifetime: 3 })
    await manager.start()
    await vi.advanceTimersByTimeAsync(MINUTE)
    expect(times.length).toBeLessThanOrEqual(MINUTE / MIN_REFRESH_INTERVAL_MS + 1)
    expect(Math.min(...gaps(times))).toBeGreaterThanOrEqual(MIN_REFRESH_INTERVAL_MS)
    // 3-second tokens, counted a second early from the request start: refreshed at half that, never lapsing.
    expect(events.filter((event) => event.type === 'expired')).toEqual([])
    expect(of('warning')[0]).toEqual([expect.objectContaining({ code: 'short-lived' })])
  })

  it('never hands out a token that is expired on arrival, and backs off', async () => {
    const { manager, times, of } = setup({}, { lifetime: -10 })
    const started = manager.start()
    await expect(started).rejects.toMatchObject({ code: 'invalid-token', message: expect.stringContaining('Expired') })
    expect(manager.current).toBeUndefined()
    await vi.advanceTimersByTimeAsync(MINUTE)
    // A failure: the retry floor applies, not the refresh floor.
    expect(Math.min(...gaps(times))).toBeGreaterThanOrEqual(MIN_RETRY_DELAY_MS)
    expect(times.length).toBeLessThanOrEqual(MINUTE / MIN_RETRY_DELAY_MS + 1)
    expect(of('token')).toEqual([])
    expect(of('warning')[0]![0]).toMatchObject({ code: 'expired' })
  })
})

describe('long lifetimes (5)', () => {
  it('neither fires at once nor overflows setTimeout for a 60-day token', async () => {
    const lifetime = 60 * DAY
    const { manager, times } = setup({}, { lifetime: lifetime / 1000 })
    const info = await manager.start()
    expect(lifetime).toBeGreaterThan(2 ** 31 - 1)
    await vi.advanceTimersByTimeAsync(30 * DAY)
    expect(times).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(info.expiresAt! - 1.5 * DEFAULT_REFRESH_MARGIN_MS - Date.now() - 1)
    expect(times).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(DEFAULT_REFRESH_MARGIN_MS / 2 + 1)
    expect(gaps(times)).toHaveLength(1)
    // Against the placed expiry: the lifetime counts up to a second short (expire early, never late).
    expect(times[1]).toBeGreaterThanOrEqual(info.expiresAt! - 1.5 * DEFAULT_REFRESH_MARGIN_MS)
    expect(info.expiresAt! - times[0]!).toBeGreaterThan(lifetime - 2 * SECOND)
  })
})

describe('sleep and background tabs (6)', () => {
  it('refreshes at once when the page wakes after sleeping past expiry', async () => {
    const { manager, backend, visibility, of } = setup()
    const first = await manager.start()
    // Sleep: the wall clock jumps, timers do not fire.
    vi.setSystemTime(Date.now() + 2 * HOUR)
    expect(manager.current).toBeUndefined()
    visibility.wake()
    await settle()
    expect(of('expired')).toEqual([first])
    expect(backend.requests).toHaveLength(2)
    expect(manager.current!.expiresAt).toBe(Date.now() + HOUR - SECOND)
  })

  it('refreshes at once on wake when the refresh came due during sleep', async () => {
    const { manager, backend, visibility, of } = setup()
    await manager.start()
    vi.setSystemTime(Date.now() + HOUR - 2 * SECOND)
    visibility.wake()
    await settle()
    expect(backend.requests).toHaveLength(2)
    expect(of('expired')).toEqual([])
  })

  it('notices within CLOCK_CHECK_INTERVAL_MS a sleep that ended without any event', async () => {
    const { manager, backend, of } = setup()
    const first = await manager.start()
    // Timers pause while the device sleeps; it wakes on a visible tab: no visibilitychange, no focus.
    vi.setSystemTime(Date.now() + 2 * HOUR)
    await vi.advanceTimersByTimeAsync(CLOCK_CHECK_INTERVAL_MS)
    expect(of('expired')).toEqual([first])
    expect(backend.requests).toHaveLength(2)
    expect(manager.current!.expiresAt).toBeGreaterThan(Date.now())
  })

  it('getToken() never resolves an expired token, even before any wake-up event', async () => {
    const { manager, backend } = setup()
    const first = await manager.start()
    vi.setSystemTime(first.expiresAt!)
    const token = await manager.getToken()
    expect(token).not.toBe(first.token)
    expect(backend.requests).toHaveLength(2)
  })

  it.each([
    ['visibilitychange', () => document.dispatchEvent(new Event('visibilitychange', { bubbles: true }))],
    ['focus', () => window.dispatchEvent(new Event('focus'))],
    ['pageshow', () => window.dispatchEvent(new Event('pageshow'))],
    ['online', () => window.dispatchEvent(new Event('online'))],
  ])('re-reads the clock on the real %s event', async (_, fire) => {
    const backend = fakeBackend(() => tokenResponse(courierJwt()))
    const manager = createTokenManager({ crossTab: false, url: ENDPOINT, fetch: backend.fetch })
    managers.push(manager)
    await manager.start()
    vi.setSystemTime(Date.now() + 2 * HOUR)
    fire()
    await settle()
    expect(backend.requests).toHaveLength(2)
  })
})

describe('offline (7)', () => {
  it('spends no request while offline and refreshes as soon as the network is back', async () => {
    const { manager, backend, online, of } = setup()
    const first = await manager.start()
    online.set(false)
    await vi.advanceTimersByTimeAsync(2 * HOUR)
    expect(backend.requests).toHaveLength(1)
    expect(of('expired')).toEqual([first])
    online.set(true)
    await settle()
    expect(backend.requests).toHaveLength(2)
    expect(manager.status).toBe('ready')
  })

  it('does not count or schedule retries for a request that failed because the network went away', async () => {
    const { manager, backend, online, of } = setup()
    reply(backend, () => {
      online.set(false)
      throw new TypeError('Failed to fetch')
    })
    await expect(manager.start()).rejects.toMatchObject({ code: 'network' })
    expect(of('error')).toEqual([{ error: expect.objectContaining({ code: 'network' }), retryInMs: undefined }])
    await vi.advanceTimersByTimeAsync(HOUR)
    expect(backend.requests).toHaveLength(1)
    online.set(true)
    await settle()
    expect(backend.requests).toHaveLength(2)
    expect(manager.status).toBe('ready')
  })

  it('waits out the floor when the network flaps back at once, so flapping is no hot loop', async () => {
    const { manager, backend, online } = setup()
    reply(backend, () => {
      online.set(false)
      throw new TypeError('Failed to fetch')
    })
    await expect(manager.start()).rejects.toMatchObject({ code: 'network' })
    online.set(true)
    await vi.advanceTimersByTimeAsync(MIN_REFRESH_INTERVAL_MS - 1)
    expect(backend.requests).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(backend.requests).toHaveLength(2)
  })

  it.each([
    ['failed', new TypeError('Failed to fetch')],
    ['timed out', 'hang'],
  ] as const)('retries a request the network %s as soon as it is back, not at the end of its backoff', async (_, lost) => {
    vi.spyOn(Math, 'random').mockReturnValue(1)
    const { manager, backend, online, of } = setup({ request: { timeout: SECOND } })
    // The request is lost before the browser notices it is offline: a backoff is scheduled.
    reply(backend, lost, lost)
    void manager.start()
    await vi.advanceTimersByTimeAsync(10 * SECOND)
    expect(backend.requests).toHaveLength(2)
    expect(of('error').at(-1)!.retryInMs).toBeGreaterThan(MINUTE / 10)
    online.set(false)
    await vi.advanceTimersByTimeAsync(SECOND)
    online.set(true)
    await settle()
    expect(backend.requests).toHaveLength(3)
    expect(manager.status).toBe('ready')
  })

  it('lets the backoff after a server error run its course, Retry-After included, when the browser went offline before it arrived', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0)
    const { manager, backend, online, times, of } = setup()
    // The backend answers 429 while the browser already reports offline (a network change, a custom online source).
    reply(backend, () => {
      online.set(false)
      return status(429, { 'retry-after': '30' })()
    })
    await expect(manager.start()).rejects.toMatchObject({ code: 'network', message: 'Offline.' })
    expect(of('error')[0]).toMatchObject({ retryInMs: 30 * SECOND, error: { status: 429 } })
    await vi.advanceTimersByTimeAsync(2 * SECOND)
    online.set(true)
    await vi.advanceTimersByTimeAsync(30 * SECOND - 2 * SECOND - 1)
    expect(backend.requests).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(gaps(times)).toEqual([30 * SECOND])
    expect(manager.status).toBe('ready')
  })

  it('rejects getToken() at once while offline without a valid token', async () => {
    const { manager, online, backend } = setup()
    online.set(false)
    await expect(manager.getToken()).rejects.toMatchObject({ code: 'network', message: 'Offline.' })
    expect(backend.requests).toHaveLength(0)
  })
})

describe('failures (9)', () => {
  it('retries transient failures with exponential backoff and full jitter above the floor', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(1)
    const { manager, backend, times, of } = setup()
    // DEFAULT_RETRY.limit failures: the waiting start() sits through all of them.
    reply(backend, new TypeError('Failed to fetch'), status(503), status(502))
    const started = manager.start()
    await vi.advanceTimersByTimeAsync(MINUTE)
    const info = await started
    const { baseDelay } = DEFAULT_RETRY
    const expected = [0, 1, 2].map((n) => MIN_RETRY_DELAY_MS + baseDelay * 2 ** n)
    expect(gaps(times)).toEqual(expected)
    expect(of('error').map(({ retryInMs }) => retryInMs)).toEqual(expected)
    expect(of('error').map(({ error }) => [error.code, error.status])).toEqual([
      ['network', undefined],
      ['http', 503],
      ['http', 502],
    ])
    expect(info.userId).toBe('alice')
    expect(manager.status).toBe('ready')
  })

  it('makes the first retry within a few seconds and caps delays at maxDelay', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(1)
    const { manager, backend, times } = setup()
    reply(backend, ...Array<Reply>(100).fill(status(500)))
    manager.start().catch(() => {})
    await vi.advanceTimersByTimeAsync(HOUR)
    const delays = gaps(times)
    expect(delays[0]).toBeLessThanOrEqual(6 * SECOND)
    expect(Math.max(...delays)).toBe(DEFAULT_RETRY.maxDelay)
    expect(delays.slice(-5)).toEqual(Array(5).fill(DEFAULT_RETRY.maxDelay))
  })

  it('honours Retry-After on a 429', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0)
    const { manager, backend, times, of } = setup()
    reply(backend, status(429, { 'retry-after': '30' }))
    const started = manager.start()
    await vi.advanceTimersByTimeAsync(MINUTE)
    await started
    expect(gaps(times)).toEqual([30 * SECOND])
    expect(of('error')[0]).toMatchObject({ retryInMs: 30 * SECOND, error: { code: 'http', status: 429, retryAfter: 30 * SECOND } })
  })

  it('rejects waiting callers at once when Retry-After asks for longer than retry.maxDelay, and still retries then', async () => {
    const { manager, backend, times } = setup()
    reply(backend, status(503, { 'retry-after': '3600' }))
    const started = manager.start()
    await settle()
    await expect(started).rejects.toMatchObject({ status: 503, retryAfter: HOUR })
    await expect(manager.getToken()).rejects.toMatchObject({ status: 503 })
    await vi.advanceTimersByTimeAsync(HOUR)
    expect(gaps(times)).toEqual([HOUR])
    await expect(manager.getToken()).resolves.toBe(manager.current!.token)
  })

  it.each([
    { ceiling: 'the default hour', retry: undefined, waited: HOUR },
    { ceiling: 'retry.maxRetryAfter: 10 minutes', retry: { maxRetryAfter: 10 * MINUTE }, waited: 10 * MINUTE },
  ])('obeys a day-long Retry-After only up to $ceiling', async ({ retry, waited }) => {
    vi.spyOn(Math, 'random').mockReturnValue(0)
    const { manager, backend, times, of } = setup(retry && { retry })
    reply(backend, status(503, { 'retry-after': String(24 * 3600) }))
    void manager.start()
    await vi.advanceTimersByTimeAsync(waited)
    expect(gaps(times)).toEqual([waited])
    expect(of('error')[0]).toMatchObject({ retryInMs: waited, error: { retryAfter: 24 * HOUR } })
    expect(manager.status).toBe('ready')
  })

  it('keeps trying at the capped delay after the token expired, until stop()', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(1)
    const { manager, backend, times, events } = setup()
    await manager.start()
    reply(backend, ...Array<Reply>(200).fill(status(503)))
    await vi.advanceTimersByTimeAsync(4 * HOUR)
    const expired = events.filter((e) => e.type === 'expired')
    expect(expired).toHaveLength(1)
    // At the 2-minute cap: 30 requests an hour for the three hours since expiry, still going at the end.
    const sinceExpiry = times.filter((time) => time >= expired[0]!.at)
    expect(sinceExpiry.length).toBeGreaterThanOrEqual(89)
    expect(sinceExpiry.length).toBeLessThanOrEqual(91)
    expect(Date.now() - times.at(-1)!).toBeLessThan(DEFAULT_RETRY.maxDelay)
    const count = times.length
    manager.stop()
    await vi.advanceTimersByTimeAsync(HOUR)
    expect(times).toHaveLength(count)
  })

  it('times out a request that hangs, aborting it', async () => {
    const { manager, backend, of } = setup()
    reply(backend, 'hang')
    manager.start().catch(() => {})
    await vi.advanceTimersByTimeAsync(DEFAULT_TIMEOUT_MS - 1)
    expect(of('error')).toEqual([])
    await vi.advanceTimersByTimeAsync(1)
    expect(of('error')[0]!.error).toMatchObject({ code: 'timeout' })
    expect(backend.requests[0]!.signal.aborted).toBe(true)
  })

  it('times out a fetchToken that ignores its signal', async () => {
    const manager = createTokenManager({
      crossTab: false,
      fetchToken: () => new Promise<string>(() => {}),
      request: { timeout: 3 * SECOND },
      online: fakeOnline(),
      visibility: fakeVisibility(),
    })
    managers.push(manager)
    const errors: TokenEvents['error'][] = []
    manager.on('error', (event) => errors.push(event))
    manager.start().catch(() => {})
    await vi.advanceTimersByTimeAsync(3 * SECOND)
    expect(errors[0]!.error.code).toBe('timeout')
  })

  it.each([401, 403])('treats %d as signed out: drops the token and stops scheduling', async (code) => {
    const { manager, backend, online, visibility, of } = setup()
    await manager.start()
    reply(backend, status(code))
    const refreshed = manager.refresh()
    await expect(refreshed).rejects.toMatchObject({ code: 'unauthenticated', status: code })
    expect(of('unauthenticated')).toEqual([{ error: expect.objectContaining({ code: 'unauthenticated', status: code }) }])
    expect(of('error')).toEqual([])
    expect(manager.status).toBe('unauthenticated')
    expect(manager.current).toBeUndefined()
    expect(vi.getTimerCount()).toBe(0)
    expect(online.listeners + visibility.listeners).toBe(0)
    await expect(manager.getToken()).rejects.toMatchObject({ code: 'unauthenticated' })
    await vi.advanceTimersByTimeAsync(DAY)
    expect(backend.requests).toHaveLength(2)

    // Signing in again: start() resumes.
    expect((await manager.start()).userId).toBe('alice')
    expect(manager.status).toBe('ready')
  })

  it('lets a waiting getToken() sit through retry.limit retries, then rejects while retrying goes on', async () => {
    const { manager, backend } = setup({ retry: { limit: 2 } })
    reply(backend, ...Array<Reply>(100).fill(status(503)))
    let rejected: { error: unknown; requests: number } | undefined
    manager.getToken().catch((error: unknown) => (rejected = { error, requests: backend.requests.length }))
    await vi.advanceTimersByTimeAsync(5 * MINUTE)
    // The first attempt and two retries.
    expect(rejected).toEqual({ error: expect.objectContaining({ code: 'http', status: 503 }), requests: 3 })
    expect(backend.requests.length).toBeGreaterThan(5)
    // Past the limit, a new caller hears the last error at once instead of waiting minutes.
    await expect(manager.getToken()).rejects.toMatchObject({ code: 'http', status: 503 })
    expect(manager.status).toBe('error')
  })

  it('lets waiting callers sit through retry.limit retries when retry.maxDelay is below the retry floor', async () => {
    // Every retry waits at least MIN_RETRY_DELAY_MS, whatever maxDelay says: that wait is no reason to give up.
    const { manager, backend } = setup({ retry: { baseDelay: 100, maxDelay: 1000 } })
    reply(backend, status(503))
    const started = manager.start()
    await vi.advanceTimersByTimeAsync(MIN_RETRY_DELAY_MS)
    await expect(started).resolves.toMatchObject({ userId: 'alice' })
    expect(backend.requests).toHaveLength(2)
  })

  it('rejects waiting callers at once for a failure that retrying will not fix, but keeps retrying', async () => {
    const { manager, backend } = setup()
    reply(backend, status(404))
    await expect(manager.start()).rejects.toMatchObject({ code: 'http', status: 404 })
    expect(manager.status).toBe('error')
    await vi.advanceTimersByTimeAsync(10 * SECOND)
    expect(backend.requests).toHaveLength(2)
    expect(manager.status).toBe('ready')
  })

  it('explains a 200 that is not a JWT, naming the URL and content type', async () => {
    const { manager, backend } = setup()
    reply(backend, () => new Response('<!doctype html><title>App</title>', { headers: { 'content-type': 'text/html; charset=utf-8' } }))
    const error = await manager.start().catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(TokenManagerError)
    expect(error).toMatchObject({ code: 'invalid-response' })
    expect((error as Error).message).toContain(ENDPOINT)
    expect((error as Error).message).toContain('text/html')
  })

  it('emits expired when the token runs out while the backend is failing', async () => {
    const { manager, backend, of } = setup()
    const info = await manager.start()
    backend.reply(...Array<Reply>(100).fill(status(500)))
    await vi.advanceTimersByTimeAsync(info.expiresAt! - Date.now() - 1)
    expect(of('expired')).toEqual([])
    expect(manager.current).toBe(info)
    expect(manager.status).toBe('error')
    await vi.advanceTimersByTimeAsync(1)
    expect(of('expired')).toEqual([info])
    expect(manager.current).toBeUndefined()
  })
})

describe('stop (10)', () => {
  it('aborts the request in flight, rejects waiting calls and leaves nothing behind', async () => {
    const added = vi.spyOn(window, 'addEventListener')
    const removed = vi.spyOn(window, 'removeEventListener')
    const backend = fakeBackend(() => 'hang')
    const manager = createTokenManager({ crossTab: false, url: ENDPOINT, fetch: backend.fetch })
    const events: string[] = []
    for (const type of EVENT_TYPES) manager.on(type, () => events.push(type))
    const waiting = [manager.getToken(), manager.refresh(), manager.start()]
    await settle()
    events.length = 0
    manager.stop()
    for (const promise of waiting) await expect(promise).rejects.toMatchObject({ code: 'stopped' })
    expect(backend.requests[0]!.signal.aborted).toBe(true)
    expect(vi.getTimerCount()).toBe(0)
    expect(removed.mock.calls.map(([type]) => type).sort()).toEqual(added.mock.calls.map(([type]) => type).sort())
    expect(manager.status).toBe('stopped')
    await vi.advanceTimersByTimeAsync(DAY)
    expect(events).toEqual(['status'])
    await expect(manager.getToken()).rejects.toMatchObject({ code: 'stopped' })
  })

  it('clears the request timeout within stop() itself, not a tick later', async () => {
    const { manager, backend } = setup()
    reply(backend, 'hang')
    manager.start().catch(() => {})
    await settle()
    expect(vi.getTimerCount()).toBeGreaterThan(0)
    manager.stop()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('ignores an answer that arrives after stop()', async () => {
    let answer!: (response: Response) => void
    const { manager, backend, of } = setup()
    reply(backend, () => new Promise<Response>((resolve) => (answer = resolve)))
    manager.start().catch(() => {})
    await settle()
    manager.stop()
    answer(tokenResponse(courierJwt()))
    await settle()
    expect(of('token')).toEqual([])
    expect(manager.current).toBeUndefined()
  })

  it('lets a restart right after stop() ignore the aborted request', async () => {
    const { manager, backend, of } = setup()
    reply(backend, 'hang')
    manager.start().catch(() => {})
    await settle()
    manager.stop()
    const restarted = manager.start()
    const info = await restarted
    await settle()
    expect(backend.requests).toHaveLength(2)
    expect(of('error')).toEqual([])
    expect(manager.current).toBe(info)
    expect(manager.status).toBe('ready')
  })

  it('fetches nothing when an expired handler stops the manager', async () => {
    const { manager, backend, visibility, of } = setup()
    await manager.start()
    manager.on('expired', () => manager.stop())
    vi.setSystemTime(Date.now() + 2 * HOUR) // slept past expiry
    visibility.wake()
    await settle()
    expect(of('expired')).toHaveLength(1)
    expect(backend.requests).toHaveLength(1)
    expect(manager.status).toBe('stopped')
  })

  it('survives a handler that throws, and reports the error', async () => {
    const report = vi.spyOn(console, 'error').mockImplementation(() => {})
    const { manager, times } = setup()
    const boom = new Error('handler bug')
    const seen: string[] = []
    manager.on('token', () => {
      throw boom
    })
    manager.on('token', (info) => seen.push(info.token))
    await manager.start()
    await vi.advanceTimersByTimeAsync(HOUR)
    expect(report).toHaveBeenCalledWith(boom)
    expect(seen).toHaveLength(2)
    expect(times).toHaveLength(2)
  })

  it('stops cleanly from inside a handler: later handlers hear nothing', async () => {
    const { manager, of } = setup()
    const late = vi.fn()
    manager.on('token', () => manager.stop())
    manager.on('token', late)
    await expect(manager.start()).rejects.toMatchObject({ code: 'stopped' })
    expect(late).not.toHaveBeenCalled()
    expect(of('warning')).toEqual([])
    expect(manager.current).toBeUndefined()
  })

  it('stays stopped when refresh() or getToken() is called after stop(): only start() restarts', async () => {
    const { manager, backend, online } = setup()
    await manager.start()
    manager.stop()
    await expect(manager.refresh()).rejects.toMatchObject({ code: 'stopped' })
    await expect(manager.getToken()).rejects.toMatchObject({ code: 'stopped' })
    expect(manager.status).toBe('stopped')
    expect(online.listeners).toBe(0)
    expect(backend.requests).toHaveLength(1)
  })

  it('can start again after stop()', async () => {
    const { manager, backend, of } = setup()
    await manager.start()
    manager.stop()
    manager.stop()
    expect(of('status')).toEqual(['loading', 'ready', 'stopped'])
    expect((await manager.start()).userId).toBe('alice')
    expect(backend.requests).toHaveLength(2)
  })

  it('never tells a later status handler a status older than the one it already heard', async () => {
    const { manager } = setup()
    // One handler stops the manager once it is ready; the next one keeps the last status it heard (a UI label).
    manager.on('status', (status) => status === 'ready' && manager.stop())
    const heard: string[] = []
    manager.on('status', (status) => heard.push(status))
    await manager.start().catch(() => {})
    expect(manager.status).toBe('stopped')
    expect(heard.at(-1)).toBe('stopped')
    expect(heard).toEqual(['loading', 'stopped'])
  })

  it('on() returns an unsubscribe function and off() removes a handler', async () => {
    const { manager } = setup()
    const a = vi.fn()
    const b = vi.fn()
    const unsubscribe = manager.on('token', a)
    manager.on('token', b)
    unsubscribe()
    manager.off('token', b)
    await manager.start()
    expect(a).not.toHaveBeenCalled()
    expect(b).not.toHaveBeenCalled()
  })
})

describe('privacy (11)', () => {
  it('never logs a token with debug: true', async () => {
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => {})
    const { manager, backend } = setup({ debug: true })
    const first = await manager.start()
    reply(backend, status(500))
    await vi.advanceTimersByTimeAsync(2 * HOUR)
    const logged = JSON.stringify(debug.mock.calls)
    expect(debug.mock.calls.length).toBeGreaterThan(5)
    expect(logged).toContain('[courier-token-manager]')
    expect(logged).toContain('alice')
    expect(logged).not.toContain(first.token)
    expect(logged).not.toContain(manager.current!.token)
    expect(logged).not.toContain(first.token.split('.')[2])
  })

  it('gives a debug function every event with the token redacted', async () => {
    const calls: Array<[string, unknown]> = []
    const { manager } = setup({ debug: (type, data) => calls.push([type, data]) })
    const info = await manager.start()
    const events = calls.filter(([type]) => type !== 'next-fetch')
    expect(events.map(([type]) => type)).toEqual(['refreshing', 'status', 'token', 'status'])
    expect(events[2]![1]).toMatchObject({ token: '[redacted]', userId: 'alice', expiresAt: info.expiresAt })
  })

  it('tells a debug function each change of the next fetch, with its reason', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0)
    const calls: Array<[string, unknown]> = []
    const { manager, backend } = setup({ debug: (type, data) => calls.push([type, data]) })
    const started = Date.now()
    const info = await manager.start()
    reply(backend, status(503))
    // Past the latest refresh moment (the jitter comes from the token) and the retry 5 s after it.
    await vi.advanceTimersByTimeAsync(info.expiresAt! - Date.now() - DEFAULT_REFRESH_MARGIN_MS + MIN_RETRY_DELAY_MS + 1_000)
    void manager.refresh()
    const moves = calls.filter(([type]) => type === 'next-fetch').map(([, data]) => data as { at: number; reason: string })
    // The first token, its refresh (a 503), the retry 5 s later (the floor, random 0) and its token, refresh().
    expect(moves.map(({ reason }) => reason)).toEqual(['start', 'scheduled', 'retry', 'scheduled', 'manual'])
    expect(moves[0]!.at).toBe(0)
    expect(moves[1]!.at).toBeGreaterThan(started)
    // The timer fires on the whole millisecond after the fractional refresh moment.
    expect(moves[2]!.at - moves[1]!.at).toBeGreaterThanOrEqual(MIN_RETRY_DELAY_MS)
    expect(moves[2]!.at - moves[1]!.at).toBeLessThan(MIN_RETRY_DELAY_MS + 1)
    expect(moves[4]!.at).toBe(0)
  })

  it('keeps refreshing when the debug function throws', async () => {
    const report = vi.spyOn(console, 'error').mockImplementation(() => {})
    const { manager, times } = setup({
      debug: () => {
        throw new Error('logger bug')
      },
    })
    await manager.start()
    await vi.advanceTimersByTimeAsync(HOUR)
    expect(times).toHaveLength(2)
    expect(manager.status).toBe('ready')
    expect(report).toHaveBeenCalledWith(new Error('logger bug'))
  })

  it('stores nothing outside memory', async () => {
    localStorage.clear()
    sessionStorage.clear()
    const { manager } = setup()
    await manager.start()
    await vi.advanceTimersByTimeAsync(3 * HOUR)
    expect(localStorage.length).toBe(0)
    expect(sessionStorage.length).toBe(0)
    expect(document.cookie).toBe('')
  })
})

describe('events', () => {
  it.each([
    ['without a debug logger', undefined],
    ['with a debug logger', () => {}],
  ])('delivers to every handler registered when the event fired, also when one removes itself or adds another (%s)', async (_, debug) => {
    const { manager } = setup(debug ? { debug } : {})
    const heard: string[] = []
    const offA = manager.on('token', () => {
      heard.push('a')
      offA()
      manager.on('token', () => heard.push('late'))
    })
    manager.on('token', () => heard.push('b'))
    manager.on('token', () => heard.push('c'))
    await manager.start()
    expect(heard).toEqual(['a', 'b', 'c'])
    await manager.refresh()
    expect(heard).toEqual(['a', 'b', 'c', 'b', 'c', 'late'])
  })
})

describe('warnings and status', () => {
  it('warns about missing scopes and the wrong user on every token', async () => {
    const { manager, of } = setup({ features: ['inbox', 'preferences'], userId: 'bob' }, { scopes: 'inbox:read:messages' })
    await manager.start()
    await manager.refresh()
    expect(of('warning')).toHaveLength(2)
    expect(of('warning')[0]!.map((diagnosis) => [diagnosis.code, diagnosis.feature, diagnosis.scopes])).toEqual([
      ['user-mismatch', undefined, undefined],
      ['missing-scope', 'inbox', ['inbox:write:events']],
      ['missing-scope', 'preferences', ['read:preferences', 'write:preferences']],
    ])
  })

  it('keeps the failure behind an error status as manager.error, cleared by a token, start(), stop() and refresh() after a sign-out', async () => {
    const { manager, backend } = setup()
    reply(backend, status(404))
    await expect(manager.start()).rejects.toMatchObject({ status: 404 })
    expect([manager.status, manager.error]).toEqual(['error', expect.objectContaining({ code: 'http', status: 404 })])
    await manager.refresh()
    expect(manager.error).toBeUndefined()
    reply(backend, status(404))
    await expect(manager.refresh()).rejects.toMatchObject({ status: 404 })
    manager.stop()
    expect(manager.error).toBeUndefined()
    reply(backend, status(401))
    await expect(manager.start()).rejects.toMatchObject({ code: 'unauthenticated' })
    expect([manager.status, manager.error?.status]).toEqual(['unauthenticated', 401])
    const restarted = manager.start()
    expect(manager.error).toBeUndefined()
    await restarted
    reply(backend, status(401))
    await expect(manager.refresh()).rejects.toMatchObject({ code: 'unauthenticated' })
    expect(manager.error?.status).toBe(401)
    const refreshed = manager.refresh()
    expect(manager.error).toBeUndefined()
    await refreshed
  })

  it('walks through the statuses of a refresh, a failure and a recovery', async () => {
    const { manager, backend, of } = setup()
    await manager.start()
    reply(backend, status(500))
    await vi.advanceTimersByTimeAsync(HOUR)
    expect(of('status')).toEqual(['loading', 'ready', 'refreshing', 'error', 'refreshing', 'ready'])
    manager.stop()
    expect(of('status').at(-1)).toBe('stopped')
  })
})
