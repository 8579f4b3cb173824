import mitt from 'mitt'
import { systemClock, type Clock } from './clock'
import { DEFAULT_REFRESH_MARGIN_MS, DEFAULT_RETRY, DEFAULT_TIMEOUT_MS, MAX_TIMER_DELAY_MS, MIN_REFRESH_INTERVAL_MS } from './constants'
import { joinTabs, type ChannelLike, type LocksLike, type Tabs } from './cross-tab'
import { assertFeatures, diagnose, type Diagnosis, type Feature } from './diagnose'
import { networkStatus, pageVisibility, type OnlineSource, type WakeSource } from './environment'
import { TokenManagerError } from './errors'
import { createTokenSource, toTokenManagerError, type TokenSourceOptions } from './fetch-token'
import { classify, nextAttemptIn, onlineAgain, stopWaiting } from './retry'
import { clampDelay, refreshTime, tokenFraction } from './schedule'
import type { TokenInfo } from './token'

export type TokenStatus = 'idle' | 'loading' | 'ready' | 'refreshing' | 'error' | 'unauthenticated' | 'stopped'

/** Why a fetch started: the first one, the timer before expiry, a retry after a failure, or `refresh()`. */
export type RefreshReason = 'start' | 'scheduled' | 'retry' | 'manual'

export type TokenEvents = {
  /** A new token arrived. */
  token: TokenInfo
  /** A request to the token endpoint started. */
  refreshing: { reason: RefreshReason }
  /** A request failed; the next one starts in `retryInMs` (undefined for a request lost offline: it starts when back online). */
  error: { error: TokenManagerError; retryInMs?: number | undefined }
  /** The endpoint answered 401 or 403, here or in another tab: the token is dropped, nothing is fetched until `start()` or `refresh()`. */
  unauthenticated: { error: TokenManagerError }
  /** The current token passed its expiry before a new one arrived. */
  expired: TokenInfo
  /** What is wrong with a token that arrived (missing scopes, wrong user, no expiry…). */
  warning: Diagnosis[]
  status: TokenStatus
}

/** What the `debug` logger hears: every event, and `next-fetch` with `{ at, reason }` when the next fetch moves. */
export type DebugEvent = keyof TokenEvents | 'next-fetch'

export interface TokenManagerSettings {
  /** Milliseconds before expiry to refresh. @default DEFAULT_REFRESH_MARGIN_MS (2 minutes) */
  refreshMargin?: number
  /**
   * How failed fetches are retried; `maxRetryAfter` is the longest `Retry-After` obeyed, in ms.
   * @default DEFAULT_RETRY ({ limit: 3, baseDelay: 1000, maxDelay: 120000, maxRetryAfter: 3600000 })
   */
  retry?: { limit?: number; baseDelay?: number; maxDelay?: number; maxRetryAfter?: number }
  /** Features every token is checked for; a missing scope emits `warning`. @default ['inbox'] */
  features?: Feature[]
  /** The signed-in user; a token for anyone else emits `warning`. */
  userId?: string
  /**
   * Log what happens, with tokens redacted: `true` for console.debug, or your own logger. Besides every
   * event, it hears `next-fetch`: each change of when the next fetch starts, and why.
   */
  debug?: boolean | ((event: DebugEvent, data: unknown) => void)
  /** @default the global Date.now / setTimeout / clearTimeout, read at call time */
  clock?: Clock
  /** When the page may have woken up. @default visibilitychange, focus and pageshow */
  visibility?: WakeSource
  /** @default navigator.onLine with online/offline events */
  online?: OnlineSource
  /**
   * Share tokens with the other tabs of this origin: one tab asks the backend per cycle, the others
   * adopt its token; a new tab takes its token from a peer that holds one; a sign-out reaches every tab.
   * A string names the token stream, channel and locks (by default tabs using the same backend URL share one).
   * The protocol is described at the top of src/cross-tab.ts.
   * @default true where BroadcastChannel exists
   */
  crossTab?: boolean | string
  /** @default a BroadcastChannel (unref'd under Node, so it never keeps the process alive) */
  channel?: (name: string) => ChannelLike | undefined
  /**
   * Web Locks tell a tab whether peers are there and elect the tab that fetches. `null` (and where they
   * are missing: plain-http origins, Node, test DOMs): a first token is asked of the peers and the
   * backend at once, and a refresh waits a random 0.25–1.25 s for a peer's token. @default navigator.locks
   */
  locks?: LocksLike | null
}

export type TokenManagerOptions = TokenSourceOptions & TokenManagerSettings

export interface TokenManager {
  /** Starts fetching and refreshing; resolves with the first token. Calling it again does no harm. */
  start(): Promise<TokenInfo>
  /** A token that is valid now. Waits for a fetch rather than hand out an expired one; starts the manager if needed. */
  getToken(): Promise<string>
  /** Fetches a new token now, sharing a request already in flight. Resumes after `unauthenticated`; rejects with `stopped` after `stop()`. */
  refresh(): Promise<TokenInfo>
  /** The token held now, or undefined once it expired. */
  readonly current: TokenInfo | undefined
  readonly status: TokenStatus
  /** The last failure, the one behind an `error` or `unauthenticated` status; cleared by a token, by `stop()`, by `start()` on a stopped or signed-out manager, and by `refresh()` on a signed-out one. */
  readonly error: TokenManagerError | undefined
  /** Returns a function that removes the handler. */
  on<K extends keyof TokenEvents>(type: K, handler: (event: TokenEvents[K]) => void): () => void
  off<K extends keyof TokenEvents>(type: K, handler: (event: TokenEvents[K]) => void): void
  /** Aborts the request in flight, clears every timer and listener, rejects waiting calls with `stopped`. */
  stop(): void
}

type Waiter = [resolve: (info: TokenInfo) => void, reject: (error: TokenManagerError) => void]
type State = 'idle' | 'running' | 'unauthenticated' | 'stopped'
type Logger = (event: DebugEvent, data: unknown) => void

// A TypeError names what is wrong, at the call that passed it. A timeout of 0 would fail every request.
// maxRetryAfter may be Infinity: no ceiling.
function assertSettings(refreshMargin: number, timeout: number, retry: Record<keyof typeof DEFAULT_RETRY, number>, features?: Feature[]) {
  const { limit, baseDelay, maxDelay, maxRetryAfter } = retry
  if (
    !(timeout > 0 && maxRetryAfter >= 0) ||
    ![refreshMargin, timeout, limit, baseDelay, maxDelay].every((ms) => ms >= 0 && ms < Infinity)
  ) {
    throw new TypeError('refreshMargin and retry take finite numbers >= 0, timeout > 0.')
  }
  assertFeatures(features)
}

// A broken handler or logger is the app's bug to see, not a reason to stop refreshing.
const report = (error: unknown) => (globalThis.reportError ?? console.error)(error)

// The debug logger never sees a token, and never throws.
function createLogger(debug: TokenManagerSettings['debug']): Logger | undefined {
  const log = debug === true ? console.debug.bind(console, '[courier-token-manager]') : debug || undefined
  if (!log) return undefined
  return (event, data) => {
    try {
      log(event, (data as TokenInfo | undefined)?.token ? { ...(data as TokenInfo), token: '[redacted]' } : data)
    } catch (error) {
      report(error)
    }
  }
}

/**
 * Calls each handler with `event` while `listening()` holds, a throwing one reported, not propagated.
 * mitt's own emit would let one throwing handler silence the rest, and could not stop mid-delivery:
 * a handler may stop the manager (the rest then hear nothing) or change the status (stop(), refresh():
 * the rest have just heard the new one and must not hear the old one after it).
 */
function deliver<T>(handlers: Array<(event: T) => void>, event: T, listening: () => boolean) {
  for (const handler of handlers) {
    if (!listening()) return
    try {
      handler(event)
    } catch (error) {
      report(error)
    }
  }
}

/** A caller's promise for a token: rejected at once with `blocked`, or queued in `waiters`. */
function enqueue(waiters: Waiter[], blocked: TokenManagerError | undefined): Promise<TokenInfo> {
  const promise = new Promise<TokenInfo>((resolve, reject) => {
    if (blocked) reject(blocked)
    else waiters.push([resolve, reject])
  })
  // A fire-and-forget start() or refresh() must not raise an unhandled rejection; awaiting callers still get it.
  promise.catch(() => {})
  return promise
}

function settleAll(waiters: Waiter[], error?: TokenManagerError, info?: TokenInfo) {
  for (const [resolve, reject] of waiters) {
    if (error) reject(error)
    else resolve(info!)
  }
}

/** Why a caller asking for a token now should not wait for one, if so; `givesUp` is asked last. */
function refusal(state: State, lastError: TokenManagerError | undefined, fetching: boolean, online: boolean, givesUp: () => boolean) {
  if (state === 'stopped') return new TokenManagerError('stopped', 'Token manager stopped.')
  if (state === 'unauthenticated') return lastError
  if (fetching) return undefined
  if (!online) return new TokenManagerError('network', 'Offline.')
  return lastError && givesUp() ? lastError : undefined
}

/**
 * When to refresh a token received at `now`: a token that lives shorter than the margin is refreshed at
 * half its life, but no two fetches start closer than the floor.
 */
const refreshAt = (info: TokenInfo, now: number, margin: number, lastFetchAt: number) =>
  Math.max(refreshTime(info.expiresAt, now, margin, tokenFraction(info.token)), lastFetchAt + MIN_REFRESH_INTERVAL_MS)

function statusOf(state: State, fetching: boolean, holding: boolean, failed: boolean): TokenStatus {
  if (state !== 'running') return state
  if (fetching) return holding ? 'refreshing' : 'loading'
  if (failed) return 'error'
  return holding ? 'ready' : 'loading'
}

/**
 * One request through the token source, timed on the manager's clock: resolves with the token or the
 * failure, never rejects. Aborting `controller` (stop(), a sign-out, a peer's token) ends it at once,
 * also a fetchToken() that ignores its signal.
 */
async function timedRequest(
  controller: AbortController,
  timeout: number,
  clock: Clock,
  fetch: (signal: AbortSignal) => Promise<TokenInfo>,
): Promise<TokenInfo | TokenManagerError> {
  const { signal } = controller
  // Capped at what setTimeout can wait: a huge timeout means never, not at once.
  const abortLater = () => controller.abort(new TokenManagerError('timeout', `No answer within ${timeout} ms.`))
  const timer = clock.setTimeout(abortLater, Math.min(timeout, MAX_TIMER_DELAY_MS))
  signal.addEventListener('abort', () => clock.clearTimeout(timer))
  try {
    const aborted = new Promise<never>((_, reject) => signal.addEventListener('abort', reject))
    return await Promise.race([fetch(signal), aborted])
  } catch (error) {
    return toTokenManagerError(signal.aborted ? signal.reason : error, clock.now())
  } finally {
    clock.clearTimeout(timer)
  }
}

/**
 * Keeps a Courier JWT from your backend fresh: fetches it, refreshes it before it expires,
 * recovers from sleep, offline periods and failing backends, and emits every new token.
 * @example
 * const manager = createTokenManager({ url: '/api/generate-courier-jwt' })
 * manager.on('token', ({ token, userId }) => Courier.shared.signIn({ userId: userId!, jwt: token }))
 * await manager.start()
 */
export function createTokenManager(options: TokenManagerOptions): TokenManager {
  const source = createTokenSource(options)
  const { refreshMargin = DEFAULT_REFRESH_MARGIN_MS, features, userId, clock = systemClock } = options
  const { visibility = pageVisibility, online = networkStatus } = options
  const retry = { ...DEFAULT_RETRY, ...options.retry }
  const timeout = options.request?.timeout ?? DEFAULT_TIMEOUT_MS
  assertSettings(refreshMargin, timeout, retry, features)
  const log = createLogger(options.debug)
  const emitter = mitt<TokenEvents>()
  let state: State = 'idle'
  let current: TokenInfo | undefined
  // The user of the last token taken since start(): a token that expired still says whose tokens to adopt.
  let user: string | undefined
  let controller: AbortController | undefined
  let lastError: TokenManagerError | undefined
  let failures = 0
  let nextFetchAt = 0
  let lastFetchAt = -Infinity
  let reason: RefreshReason = 'start'
  let timer: unknown
  let status: TokenStatus = 'idle'
  const waiters: Waiter[] = []
  let unsubscribe: Array<() => void> = []
  let tabs: Tabs | undefined

  // mitt keeps the handlers; delivery is ours (see deliver). The debug logger goes first, like a handler.
  const emit = <K extends keyof TokenEvents>(type: K, event: TokenEvents[K]) => {
    // A copy: a handler that removes itself, or adds another, changes mitt's list, not this delivery.
    const handlers = [...(emitter.all.get(type) ?? [])] as Array<(event: TokenEvents[K]) => void>
    const listening = () => (type === 'status' ? event === status : state !== 'stopped')
    deliver(log ? [(data: TokenEvents[K]) => log(type, data), ...handlers] : handlers, event, listening)
  }

  // Every change of when the next fetch starts, and why, comes through here.
  const nextFetch = (at: number, why: RefreshReason) => {
    nextFetchAt = at
    reason = why
    log?.('next-fetch', { at, reason })
  }

  const computeStatus = () => statusOf(state, !!controller, !!current, !!lastError)

  const givesUp = () => stopWaiting(lastError!, failures, retry, nextFetchAt - clock.now())
  const blocker = () => refusal(state, lastError, !!controller, online.isOnline(), givesUp)

  const wait = () => enqueue(waiters, blocker())
  const settle = (error?: TokenManagerError, info?: TokenInfo, settled = waiters.splice(0)) => settleAll(settled, error, info)

  // `now >= undefined` is false: a token without expiry stays valid.
  const isValid = (info: TokenInfo | undefined): info is TokenInfo => !!info && !(clock.now() >= info.expiresAt!)
  const valid = () => (isValid(current) ? current : undefined)

  const begin = () => {
    state = 'running'
    failures = 0
    lastError = user = undefined
    nextFetch(0, 'start')
    tabs = joinTabs(options, timeout, valid, adopt, () => {
      fail(new TokenManagerError('unauthenticated', 'Signed out in another tab.'))
      tick()
    })
    // Last: a source may call its listener at once (a BehaviorSubject), and that tick must see the other tabs.
    unsubscribe = [visibility.subscribe(tick), online.subscribe(networkChanged)]
  }

  const networkChanged = () => {
    const at = onlineAgain(lastError, nextFetchAt, lastFetchAt)
    if (online.isOnline() && at !== nextFetchAt) nextFetch(at, reason)
    tick()
  }

  // Signed out or stopped: no request, token, timer or listener outlives it.
  const halt = (next: 'unauthenticated' | 'stopped') => {
    state = next
    controller?.abort()
    controller = current = undefined
    for (const off of unsubscribe.splice(0)) off()
    clock.clearTimeout(timer)
    tabs?.close()
    tabs = undefined
  }

  // A peer's token (its times checked by cross-tab.ts): only for our user (the last token's, else the
  // userId option; knowing neither, the peer's: tabs of an origin share the session), only while valid,
  // only when newer than ours.
  function adopt(info: TokenInfo) {
    const ours = user ?? userId
    if ((ours !== undefined && info.userId !== ours) || !isValid(info) || (current && !(info.expiresAt! > current.expiresAt!))) return
    accept(info, true)
    tick()
  }

  // Re-reads the clock and acts on it. The one timer, wake-up events and callers all come through here.
  function tick() {
    if (state === 'running') {
      const now = clock.now()
      if (current && !isValid(current)) {
        const expired = current
        current = undefined
        emit('expired', expired)
      }
      // The expired handler may have stopped us.
      if (state === 'running' && !controller && now >= nextFetchAt && online.isOnline()) void fetchNow()
      clock.clearTimeout(timer)
      const waitingForFetch = !controller && online.isOnline()
      const wakeAt = Math.min(waitingForFetch ? nextFetchAt : Infinity, current?.expiresAt ?? Infinity)
      if (state === 'running' && wakeAt < Infinity) timer = clock.setTimeout(tick, clampDelay(wakeAt - now))
    }
    const error = waiters[0] && blocker()
    if (error) settle(error)
    const next = computeStatus()
    if (next !== status) {
      status = next
      emit('status', next)
    }
  }

  // One fetch at a time; with other tabs, in turn with them (see cross-tab.ts). Adopting a peer's
  // token or stop() aborts it, at any step.
  async function fetchNow() {
    const ctrl = new AbortController()
    controller = ctrl
    if (tabs) await tabs.fetch(ctrl.signal, reason !== 'manual', reason === 'start', () => request(ctrl))
    else await request(ctrl)
    if (ctrl !== controller) return
    controller = undefined
    tick()
  }

  async function request(ctrl: AbortController) {
    // Gone offline while waiting for the other tabs: back online, tick() starts again.
    if (!online.isOnline()) return
    const startedAt = clock.now()
    lastFetchAt = startedAt
    emit('refreshing', { reason })
    if (ctrl !== controller) return // stopped by a handler
    const result = await timedRequest(ctrl, timeout, clock, (signal) => source(signal, startedAt, () => clock.now()))
    if (ctrl !== controller) return // stopped meanwhile
    controller = undefined
    if (result instanceof TokenManagerError) fail(result)
    else accept(result)
    tick()
  }

  function accept(info: TokenInfo, fromPeer?: boolean) {
    const now = clock.now()
    const found = diagnose(info, { features, userId, now, refreshMargin })
    // Judged at one moment, by the diagnosis: 'expired' comes first when there is one.
    if (found[0]?.code === 'expired') {
      fail(new TokenManagerError('invalid-token', found[0].message))
    } else {
      current = info
      user = info.userId
      failures = 0
      lastError = undefined
      nextFetch(refreshAt(info, now, refreshMargin, lastFetchAt), 'scheduled')
      // A fetch in flight is moot: a peer's token is newer than anything it would bring.
      controller?.abort()
      controller = undefined
      if (!fromPeer) tabs?.share(info)
      // This token answers the callers waiting for it, not those a handler adds (a refresh() from a
      // token handler waits for the fetch it started); a handler that stops the manager rejects them.
      const waiting = waiters.splice(0)
      emit('token', info)
      settle(state === 'running' ? undefined : blocker(), info, waiting)
    }
    if (found[0]) emit('warning', found)
  }

  function fail(error: TokenManagerError) {
    lastError = error
    if (classify(error) === 'sign-out') {
      // The backend said so (a status), not a peer: tell the other tabs.
      if (error.status) tabs?.signOut()
      halt('unauthenticated')
      emit('unauthenticated', { error })
      return
    }
    const retryInMs = nextAttemptIn(error, failures, retry, online.isOnline(), Math.random())
    // Counted only when a retry was spent; a request lost offline waits for the network, then the floor.
    if (retryInMs !== undefined) failures++
    nextFetch(clock.now() + (retryInMs ?? MIN_REFRESH_INTERVAL_MS), 'retry')
    emit('error', { error, retryInMs })
  }

  // start() also restarts a stopped or signed-out manager; getToken() only starts an idle one.
  const ensure = (restart: boolean) => {
    if (restart ? state !== 'running' : state === 'idle') begin()
    if (!isValid(current)) tick()
    return isValid(current) ? Promise.resolve(current) : wait()
  }

  return {
    get current() {
      return valid()
    },
    get status() {
      return computeStatus()
    },
    get error() {
      return lastError
    },
    start: () => ensure(true),
    // The hot path: a valid token costs one promise, nothing else.
    getToken: async () => (isValid(current) ? current : await ensure(false)).token,
    refresh() {
      // Only start() brings a stopped manager back: a stray refresh() (say, after a 401) must not.
      if (state === 'stopped') return wait()
      if (state !== 'running') begin()
      // A request in flight is shared; otherwise one starts now.
      nextFetch(0, 'manual')
      tick()
      return wait()
    },
    on(type, handler) {
      emitter.on(type, handler)
      return () => emitter.off(type, handler)
    },
    off: emitter.off,
    // Calling it again is harmless: nothing is left to abort, clear or settle, and the status stays.
    stop() {
      halt('stopped')
      lastError = undefined
      tick()
    },
  }
}
