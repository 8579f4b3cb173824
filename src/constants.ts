/**
 * How long before expiry a refresh starts. The manager picks a random moment in
 * `[expiresAt − 1.5·margin, expiresAt − margin]` so tabs and devices spread out, and never
 * uses more than half a token's remaining life as the margin.
 * Two minutes leaves room for several retries while the old token still works.
 */
export const DEFAULT_REFRESH_MARGIN_MS = 120_000

/**
 * The floor between the starts of two automatic fetches: a token that lives shorter than twice
 * the margin is refreshed within half its life, but never more often than this.
 */
export const MIN_REFRESH_INTERVAL_MS = 1_000

/**
 * The floor under every retry delay: a backend that fails, or answers with tokens already
 * expired, is asked at most this often, never in a hot loop.
 */
export const MIN_RETRY_DELAY_MS = 5_000

/** How long one request to the token endpoint may take before it counts as failed. */
export const DEFAULT_TIMEOUT_MS = 10_000

/**
 * Retry policy for failed fetches: exponential backoff with full jitter above the floor,
 * capped at `maxDelay`. `limit` is how many retries a waiting `getToken()` sits through before
 * it rejects; the manager itself keeps retrying until it holds a token again or is stopped.
 * A `Retry-After` is obeyed up to `maxRetryAfter` (an hour): a bad header must not silence the Inbox for a day.
 */
export const DEFAULT_RETRY = { limit: 3, baseDelay: 1_000, maxDelay: 120_000, maxRetryAfter: 3_600_000 } as const

/**
 * While a token expires or a fetch is due, the manager re-reads the clock at least this often.
 * Timers pause while a device sleeps, and waking does not always fire an event (a laptop opened on
 * a visible tab): this bounds how long an expired token can go unnoticed after such a sleep.
 */
export const CLOCK_CHECK_INTERVAL_MS = 60_000

/** @internal setTimeout's longest delay: past it, browsers and Node fire the timer at once. */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1
