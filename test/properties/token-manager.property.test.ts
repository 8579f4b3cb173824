// Invariants of the token manager (and the Courier adapter on top of it) under random sequences of
// backend behaviours, clock jumps, network changes, wake-ups and concurrent calls, on fake timers.
// Seeded and reproducible: FC_SEED=<seed> reruns a failure; FC_RUNS=<n> runs more (npm run test:soak).
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { connect } from '../../src/courier/connect'
import {
  CLOCK_CHECK_INTERVAL_MS,
  createTokenManager,
  DEFAULT_RETRY,
  DEFAULT_TIMEOUT_MS,
  isTokenManagerError,
  MIN_REFRESH_INTERVAL_MS,
  MIN_RETRY_DELAY_MS,
  type RefreshReason,
  type TokenEvents,
} from '../../src/index'
import { fakeCourier, fakeDatastores } from '../helpers/courier-fake'
import { fakeOnline, fakeVisibility } from '../helpers/environment'
import { backendMode, modelBackend, watchUnhandledRejections, type BackendMode } from '../helpers/model'
import { PROTOCOL_VERSION } from '../../src/cross-tab'
import { decodeToken } from '../../src/token'
import { makeJwt } from '../helpers/jwt'
import { fakeChannels, fakeLocks } from '../helpers/tabs'

const SEED = Number(process.env.FC_SEED ?? 20_261_125)
const RUNS = Number(process.env.FC_RUNS ?? 200)
const MINUTE = 60_000
const HOUR = 60 * MINUTE
const EVENTS = ['token', 'refreshing', 'error', 'unauthenticated', 'expired', 'warning', 'status'] as const
/** Where tokens come from: `fetchToken` (no headers), or `url` (a `Date` header when the backend's mode says so). */
type Via = 'fetchToken' | 'url'
const via = fc.constantFrom<Via>('fetchToken', 'url')
const URL_ = 'https://app.test/api/courier-token'
const sourceOf = (backend: ReturnType<typeof modelBackend>, from: Via) =>
  from === 'url' ? { url: URL_, fetch: backend.fetch } : { fetchToken: backend.fetchToken }

/** From a healthy backend on, a valid token is held within the capped backoff, a hung request and a latency. */
const RECOVERY_MS = DEFAULT_RETRY.maxDelay + DEFAULT_TIMEOUT_MS + 2_000 + MIN_REFRESH_INTERVAL_MS

type Action =
  | { type: 'backend'; mode: BackendMode }
  | { type: 'advance'; ms: number }
  | { type: 'sleep'; ms: number; ask: number }
  | { type: 'online'; value: boolean }
  | { type: 'wake' }
  | { type: 'getToken'; count: number }
  | { type: 'refresh' }
  | { type: 'stop' }
  | { type: 'start' }

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ type: fc.constant('backend' as const), mode: backendMode }) },
  {
    weight: 6,
    arbitrary: fc.record({
      type: fc.constant('advance' as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 0, max: 10 * MINUTE }), fc.integer({ min: 0, max: 2 * HOUR })),
    }),
  },
  // A device waking from sleep, with getToken() called at once, before any wake-up event.
  {
    weight: 1,
    arbitrary: fc.record({
      type: fc.constant('sleep' as const),
      ms: fc.integer({ min: 1_000, max: 3 * HOUR }),
      ask: fc.integer({ min: 0, max: 2 }),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('online' as const), value: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ type: 'wake' as const }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('getToken' as const), count: fc.integer({ min: 1, max: 5 }) }) },
  { weight: 1, arbitrary: fc.constant({ type: 'refresh' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'stop' as const }) },
  { weight: 1, arbitrary: fc.constant({ type: 'start' as const }) },
)

beforeEach(() => {
  vi.useFakeTimers()
  vi.setSystemTime(new Date('2026-03-01T09:00:00Z'))
})

afterEach(() => {
  vi.useRealTimers()
})

/** Runs one sequence and returns the broken invariants, empty when all hold. */
async function run(actions: Action[], adapterMode: 'sign-in' | 'seamless', from: Via): Promise<string[]> {
  const broken: string[] = []
  const check = (holds: boolean, invariant: string) =>
    void (holds || broken.push(`${invariant} (at ${new Date(Date.now()).toISOString()})`))
  const unhandled = watchUnhandledRejections()
  const backend = modelBackend()
  const online = fakeOnline()
  const visibility = fakeVisibility()
  const { courier, signIns } = fakeCourier()
  const datastores = fakeDatastores([])
  const manager = createTokenManager({ crossTab: false, ...sourceOf(backend, from), online, visibility, userId: 'alice' })
  const disconnect = connect(manager, courier, { mode: adapterMode, userId: 'alice', inbox: datastores.inbox, onWarning: () => {} })
  const realExpiry = (token: string | undefined) => (token === undefined ? -Infinity : (backend.expiries.get(token) ?? -Infinity))

  // (7) Courier is only ever handed a valid token for the signed-in user.
  const signIn = courier.signIn
  courier.signIn = (props) => {
    check(props.userId === 'alice', `7: signed Courier in as ${props.userId}`)
    check(realExpiry(props.jwt) > Date.now(), '7: signed Courier in with an expired token')
    signIn(props)
  }

  const events: Array<{ type: keyof TokenEvents; at: number; reason?: RefreshReason; lost?: boolean }> = []
  for (const type of EVENTS) {
    manager.on(type, (event) =>
      events.push({
        type,
        at: Date.now(),
        ...(type === 'refreshing' ? { reason: (event as TokenEvents['refreshing']).reason } : {}),
        ...(type === 'error' ? { lost: ['network', 'timeout'].includes((event as TokenEvents['error']).error.code) } : {}),
      }),
    )
  }
  // Where in `events` the network changed: a request the network lost is retried when it is back.
  const networkChanges: number[] = []

  let stopped = false
  let stoppedAt = 0
  // After a sleep, the manager notices on a wake-up event or within CLOCK_CHECK_INTERVAL_MS.
  let noticeBy = -Infinity
  let healthySince: number | undefined
  let waitUntil = 0 // a Retry-After may postpone recovery
  const settle = () => vi.advanceTimersByTimeAsync(0)

  const ask = (count: number) => {
    for (let i = 0; i < count; i++) {
      manager.getToken().then(
        // (1) getToken() never resolves a token that is expired at that moment.
        (token) => check(realExpiry(token) > Date.now(), '1: getToken() resolved an expired token'),
        (error: unknown) => check(isTokenManagerError(error), `getToken() rejected with ${String(error)}`),
      )
    }
  }

  void manager.start()
  await settle()

  for (const step of actions) {
    switch (step.type) {
      case 'backend':
        backend.mode = step.mode
        if (step.mode.kind === 'status' && step.mode.status === 429)
          waitUntil = Date.now() + (step.mode.retryAfter ?? 0) * 1000 + 2 * MINUTE
        break
      case 'advance':
        await vi.advanceTimersByTimeAsync(step.ms)
        break
      case 'sleep':
        // The device sleeps: the wall clock jumps while timers pause (fake timers shift with it).
        vi.setSystemTime(Date.now() + step.ms)
        noticeBy = Date.now() + CLOCK_CHECK_INTERVAL_MS
        // Nothing runs while asleep, requests in flight included: recovery is counted again from the wake.
        if (healthySince !== undefined) healthySince = Date.now()
        waitUntil += step.ms
        ask(step.ask)
        break
      case 'online':
        networkChanges.push(events.length)
        online.set(step.value)
        noticeBy = -Infinity
        break
      case 'wake':
        visibility.wake()
        noticeBy = -Infinity
        break
      case 'getToken':
        ask(step.count)
        break
      case 'refresh':
        void manager.refresh()
        break
      case 'stop':
        manager.stop()
        if (!stopped) {
          stopped = true
          stoppedAt = events.length
        }
        break
      case 'start':
        stopped = false
        void manager.start()
        break
    }
    await settle()
    const now = Date.now()
    // Just woken without an event: the manager may not have noticed yet.
    const asleep = now < noticeBy

    // (2) At most one request in flight.
    check(backend.state.maxInFlight <= 1, `2: ${backend.state.maxInFlight} requests in flight`)
    // (3) Automatic requests never closer than the floor: at most 3600 an hour, whatever fails.
    const starts = events.filter((event) => event.type === 'refreshing')
    for (let i = 1; i < starts.length; i++) {
      const { reason, at } = starts[i]!
      if (reason === 'scheduled' || reason === 'retry')
        check(at - starts[i - 1]!.at >= MIN_REFRESH_INTERVAL_MS, `3: automatic request ${at - starts[i - 1]!.at} ms after the previous one`)
    }
    // (3) And no retry sooner than the failure floor, whatever failed: only a request the network lost
    // is retried sooner, when the network comes back (after the floor above).
    let failure: { at: number; lost: boolean; index: number } | undefined
    events.forEach(({ type, at, reason, lost }, index) => {
      if (type === 'error') failure = { at, lost: lost!, index }
      else if (
        type === 'refreshing' &&
        reason === 'retry' &&
        failure &&
        !(failure.lost && networkChanges.some((change) => change > failure!.index && change <= index))
      ) {
        check(at - failure.at >= MIN_RETRY_DELAY_MS, `3: retry ${at - failure.at} ms after a failure`)
      }
    })
    // The token held is valid, on the real clock.
    check(manager.current === undefined || realExpiry(manager.current.token) > now, 'current is expired')
    // (7) Courier never keeps an expired token once the page is awake.
    if (!asleep && courier.client) check(realExpiry(courier.client.options.accessToken) > now, '7: Courier holds an expired token')
    // (5) Stopped means silent and clean.
    if (stopped) {
      check(
        events.slice(stoppedAt).every((event) => event.type === 'status'),
        '5: an event after stop()',
      )
      check(vi.getTimerCount() === 0, `5: ${vi.getTimerCount()} timers after stop()`)
      check(online.listeners + visibility.listeners === 0, '5: listeners after stop()')
      check(backend.state.inFlight === 0, '5: a request in flight after stop()')
    }
    // (4) Once the backend is healthy (and we are online and running), a valid token follows in bounded time.
    const mode = backend.mode
    const healthy =
      mode.kind === 'ok' &&
      mode.user === 'alice' &&
      (mode.lifetime === null || mode.lifetime >= 30) &&
      online.isOnline() &&
      !stopped &&
      manager.status !== 'unauthenticated'
    healthySince = healthy ? (healthySince ?? now) : undefined
    if (healthySince !== undefined && !asleep && now - Math.max(healthySince, waitUntil, noticeBy) >= RECOVERY_MS) {
      check(manager.current !== undefined, `4: no valid token ${now - healthySince} ms after the backend recovered`)
    }
  }

  manager.stop()
  disconnect()
  await settle()
  check(vi.getTimerCount() === 0, `5: ${vi.getTimerCount()} timers after the final stop()`)
  // (6) No unhandled promise rejection, ever.
  unhandled.stop()
  check(unhandled.seen.length === 0, `6: unhandled rejection ${String(unhandled.seen[0])}`)
  check(
    signIns.every((props) => props.userId === 'alice'),
    '7: a sign-in for another user',
  )
  return broken
}

describe('token manager invariants under random faults', () => {
  it.each(['sign-in', 'seamless'] as const)(
    `hold for ${RUNS} random sequences (adapter in %s mode)`,
    async (adapterMode) => {
      console.info(`fast-check seed ${SEED}, ${RUNS} runs (FC_SEED / FC_RUNS to change)`)
      await fc.assert(
        fc.asyncProperty(fc.array(action, { minLength: 1, maxLength: 40 }), via, async (actions, from) => {
          vi.setSystemTime(new Date('2026-03-01T09:00:00Z'))
          const broken = await run(actions, adapterMode, from)
          expect(broken).toEqual([])
        }),
        { seed: SEED, numRuns: RUNS },
      )
    },
    600_000,
  )
})

/** Any failing backend but a sign-out (401/403), with Retry-After up to 5 minutes. */
const failing: fc.Arbitrary<BackendMode> = backendMode
  .filter((mode) => mode.kind !== 'ok' && !(mode.kind === 'status' && (mode.status === 401 || mode.status === 403)))
  .chain((mode) =>
    mode.kind === 'status' && mode.retryAfter !== undefined
      ? fc.integer({ min: 0, max: 300 }).map((retryAfter) => ({ ...mode, retryAfter }))
      : fc.constant(mode),
  )

describe('recovery (4)', () => {
  it(`holds a valid token within the capped backoff (or a longer Retry-After), a request timeout and the answer's time, after any of ${RUNS} random outages`, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({ mode: failing, ms: fc.oneof(fc.integer({ min: 0, max: 10 * MINUTE }), fc.integer({ min: 0, max: 2 * HOUR })) }),
          { minLength: 1, maxLength: 8 },
        ),
        fc.record({
          kind: fc.constant('ok' as const),
          lifetime: fc.constantFrom(30, 300, 3600, 172_800, null),
          skew: fc.constantFrom(0, 3_600_000, -3_600_000),
          user: fc.constant('alice' as const),
          latency: fc.integer({ min: 0, max: 2_000 }),
          expiresIn: fc.boolean(),
          dated: fc.boolean(),
        }),
        via,
        async (outage, healthy, from) => {
          vi.setSystemTime(new Date('2026-03-01T09:00:00Z'))
          const backend = modelBackend()
          const manager = createTokenManager({
            crossTab: false,
            ...sourceOf(backend, from),
            online: fakeOnline(),
            visibility: fakeVisibility(),
            userId: 'alice',
          })
          manager.start().catch(() => {})
          let retryAfter = 0
          for (const { mode, ms } of outage) {
            backend.mode = mode
            if (mode.kind === 'status') retryAfter = Math.max(retryAfter, (mode.retryAfter ?? 0) * 1000)
            await vi.advanceTimersByTimeAsync(ms)
          }
          backend.mode = healthy
          await vi.advanceTimersByTimeAsync(Math.max(DEFAULT_RETRY.maxDelay, retryAfter) + DEFAULT_TIMEOUT_MS + healthy.latency)
          const held = manager.current
          manager.stop()
          await vi.advanceTimersByTimeAsync(0)
          expect(held && backend.expiries.get(held.token)! > Date.now(), '4: no valid token after the backend recovered').toBe(true)
        },
      ),
      { seed: SEED, numRuns: RUNS },
    )
  }, 600_000)
})

type TabAction =
  | { type: 'backend'; mode: BackendMode }
  | { type: 'advance'; ms: number }
  | { type: 'online'; value: boolean }
  | { type: 'getToken' | 'refresh' | 'stop' | 'start' | 'wake'; tab: number }
  | Forgery

/**
 * A page of the origin posting a token message of its own on the tabs' channel: a token the backend gave
 * out (maybe dead by now) or one it minted (any user, any age), with times moved by any offset, honest
 * (≤ 0), late, or absurd, and an issue time moved alike or not.
 */
type Forgery = {
  type: 'forge'
  token: { known: number } | { user: 'alice' | 'mallory'; age: number; lifetime: number }
  offset: number
  issuedShift: number
}

const forgery: fc.Arbitrary<Forgery> = fc.record({
  type: fc.constant('forge' as const),
  token: fc.oneof(
    fc.record({ known: fc.nat() }),
    fc.record({
      user: fc.constantFrom('alice' as const, 'alice' as const, 'mallory' as const),
      age: fc.integer({ min: 0, max: 3 * HOUR }),
      lifetime: fc.constantFrom(60, 3600, 7200),
    }),
  ),
  offset: fc.oneof(fc.integer({ min: -2 * HOUR, max: 0 }), fc.integer({ min: 0, max: 3 * HOUR }), fc.constant(10 ** 10)),
  issuedShift: fc.oneof(fc.constant(0), fc.integer({ min: -HOUR, max: HOUR })),
})

const tabAction: fc.Arbitrary<TabAction> = fc.oneof(
  { weight: 2, arbitrary: forgery },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('backend' as const), mode: backendMode }) },
  {
    weight: 5,
    arbitrary: fc.record({
      type: fc.constant('advance' as const),
      ms: fc.oneof(fc.integer({ min: 0, max: 15_000 }), fc.integer({ min: 0, max: 2 * HOUR })),
    }),
  },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('online' as const), value: fc.boolean() }) },
  {
    weight: 5,
    arbitrary: fc.record({
      type: fc.constantFrom('getToken' as const, 'refresh' as const, 'stop' as const, 'start' as const, 'wake' as const),
      tab: fc.integer({ min: 0, max: 2 }),
    }),
  },
)

describe('cross-tab invariants under random faults', () => {
  it(`hold for ${RUNS} random sequences of 3 tabs and a page forging token messages: one request in flight per origin, never an expired token`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(tabAction, { minLength: 1, maxLength: 40 }), via, async (actions, from) => {
        vi.setSystemTime(new Date('2026-03-01T09:00:00Z'))
        const broken: string[] = []
        const check = (holds: boolean, invariant: string) => void (holds || broken.push(invariant))
        const unhandled = watchUnhandledRejections()
        const backend = modelBackend()
        const channels = fakeChannels()
        const locks = fakeLocks()
        const online = fakeOnline()
        const visibility = [0, 1, 2].map(() => fakeVisibility())
        const tabs = visibility.map((wake) =>
          createTokenManager({ ...sourceOf(backend, from), channel: channels.create, locks, online, visibility: wake, userId: 'alice' }),
        )
        // A forged token's real expiry is its exp: Courier refuses it after that.
        const realExpiry = (token: string) => backend.expiries.get(token) ?? -Infinity
        const forge = ({ token: which, offset, issuedShift }: Forgery) => {
          let token: string
          if ('known' in which) {
            const known = [...backend.expiries.keys()]
            if (!known.length) return
            token = known[which.known % known.length]!
          } else {
            const iat = Math.floor((Date.now() - which.age) / 1000)
            token = makeJwt({
              scope: `user_id:${which.user} inbox:read:messages inbox:write:events`,
              iat,
              exp: iat + which.lifetime,
              jti: `forged ${Math.random()}`,
            })
            backend.expiries.set(token, (iat + which.lifetime) * 1000)
          }
          const { expiresAt, issuedAt } = decodeToken(token)
          const message = {
            type: 'token',
            token,
            expiresAt: expiresAt === undefined ? undefined : expiresAt + offset,
            issuedAt: issuedAt === undefined ? undefined : issuedAt + offset + issuedShift,
          }
          channels.inject(`courier-token-manager v${PROTOCOL_VERSION} ${from === 'url' ? URL_ : 'fetchToken'}`, message)
        }
        for (const tab of tabs) void tab.start()
        for (const step of actions) {
          if (step.type === 'forge') forge(step)
          else if (step.type === 'backend') backend.mode = step.mode
          else if (step.type === 'advance') await vi.advanceTimersByTimeAsync(step.ms)
          else if (step.type === 'online') online.set(step.value)
          else if (step.type === 'wake') visibility[step.tab]!.wake()
          else if (step.type === 'getToken') {
            tabs[step.tab]!.getToken().then(
              (token) => check(realExpiry(token) > Date.now(), '1: getToken() resolved an expired token'),
              (error: unknown) => check(isTokenManagerError(error), `getToken() rejected with ${String(error)}`),
            )
          } else if (step.type === 'stop') tabs[step.tab]!.stop()
          else void tabs[step.tab]![step.type]()
          await vi.advanceTimersByTimeAsync(0)
          check(backend.state.maxInFlight <= 1, `2: ${backend.state.maxInFlight} requests in flight for one origin`)
          for (const tab of tabs)
            check(tab.current === undefined || realExpiry(tab.current.token) > Date.now(), 'a tab holds an expired token')
        }
        for (const tab of tabs) tab.stop()
        await vi.advanceTimersByTimeAsync(0)
        check(vi.getTimerCount() === 0, `5: ${vi.getTimerCount()} timers after stop()`)
        check(channels.open.size === 0 && locks.held.size === 0, '5: a channel or a lock left after stop()')
        unhandled.stop()
        check(unhandled.seen.length === 0, `6: unhandled rejection ${String(unhandled.seen[0])}`)
        expect(broken).toEqual([])
      }),
      { seed: SEED, numRuns: RUNS },
    )
  }, 600_000)
})
