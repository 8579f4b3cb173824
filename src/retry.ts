// The retry policy, whole: what a failure means, how long until the next attempt, and when a caller
// waiting for a token stops waiting. Pure functions: no timers, no globals; `random` is a number in
// [0, 1), from Math.random() in production. The token manager calls these and holds no rule of its own.
import { MIN_REFRESH_INTERVAL_MS, MIN_RETRY_DELAY_MS } from './constants'
import type { TokenManagerError, TokenManagerErrorCode } from './errors'

/**
 * What a failure means for the next attempt:
 * - `lost`: no answer came (the network, a timeout): coming back online may fix it at once;
 * - `transient`: the server answered that retrying may help (5xx, 408, 429);
 * - `fatal`: retrying will not fix it soon (404, an HTML page, a bad token): retried, but nobody waits for it;
 * - `sign-out`: 401 or 403: nothing is fetched until the app starts the manager again.
 */
export type FailureKind = 'lost' | 'transient' | 'fatal' | 'sign-out'

export function classify({ code, status = 0 }: TokenManagerError): FailureKind {
  if (code === 'unauthenticated') return 'sign-out'
  if (code === 'network' || code === 'timeout') return 'lost'
  if (status >= 500 || status === 408 || status === 429) return 'transient'
  return 'fatal'
}

/** The error code for an answer with this HTTP status: 401 and 403 sign out; no status means no answer. */
export function codeForStatus(status: number | undefined): TokenManagerErrorCode {
  if (!(status! > 0)) return 'network'
  return status === 401 || status === 403 ? 'unauthenticated' : 'http'
}

export interface RetryPolicy {
  baseDelay: number
  maxDelay: number
  /** The longest `Retry-After` obeyed. @default Infinity */
  maxRetryAfter?: number
}

/**
 * Delay before retry number `attempt` (0 for the first): full jitter over a floor,
 * `floor + random · min(maxDelay − floor, baseDelay·2^attempt)` with `MIN_RETRY_DELAY_MS`
 * as the floor, and never sooner than the server's `Retry-After`, up to `maxRetryAfter`.
 */
export function retryDelay(
  attempt: number,
  { baseDelay, maxDelay, maxRetryAfter = Infinity }: RetryPolicy,
  random: number,
  retryAfter = 0,
): number {
  // The exponent stops growing long before 2^1024, where 0 · Infinity would be NaN.
  const spread = Math.max(0, Math.min(maxDelay - MIN_RETRY_DELAY_MS, baseDelay * 2 ** Math.min(attempt, 32)))
  return Math.max(MIN_RETRY_DELAY_MS + random * spread, Math.min(retryAfter, maxRetryAfter))
}

/**
 * Milliseconds until the attempt after `error`, the `attempt`-th failure in a row; undefined for a request
 * lost while offline: no retry is spent on it, going online starts the next fetch (after the floor, see
 * `onlineAgain`). A server that answered gets its backoff and Retry-After, offline or not.
 */
export function nextAttemptIn(
  error: TokenManagerError,
  attempt: number,
  policy: RetryPolicy,
  online: boolean,
  random: number,
): number | undefined {
  if (!online && classify(error) === 'lost') return undefined
  return retryDelay(attempt, policy, random, error.retryAfter)
}

/**
 * When the next fetch starts now that the network is back: a request the network lost is retried at
 * once (but no sooner than the floor after the last request: a flapping network is no hot loop), not at
 * the end of its backoff. Any other failure keeps its time.
 */
export function onlineAgain(error: TokenManagerError | undefined, nextFetchAt: number, lastFetchAt: number): number {
  if (!error || classify(error) !== 'lost') return nextFetchAt
  return Math.min(nextFetchAt, lastFetchAt + MIN_REFRESH_INTERVAL_MS)
}

/**
 * Whether a caller waiting for a token should get `error` now instead. It sits through `limit` retries
 * of a failure that may pass (lost or transient), each at most `maxDelay` away (or the floor, when
 * maxDelay is below it); a longer Retry-After, or a failure that will not pass soon, is not waited for.
 */
export function stopWaiting(
  error: TokenManagerError,
  failures: number,
  { limit, maxDelay }: { limit: number; maxDelay: number },
  msToNextAttempt: number,
): boolean {
  const kind = classify(error)
  return failures > limit || (kind !== 'lost' && kind !== 'transient') || msToNextAttempt > Math.max(maxDelay, MIN_RETRY_DELAY_MS)
}

/** `Retry-After` as ms from `now`: delta-seconds or an HTTP date; undefined for anything else. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  let ms = NaN
  if (value && /^\s*\d+\s*$/.test(value)) ms = Number(value) * 1000
  else if (value) ms = Date.parse(value) - now
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined
}
