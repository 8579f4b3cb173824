/**
 * How long before expiry a refresh starts. The manager picks a random moment in
 * `[expiresAt − 1.5·margin, expiresAt − margin]` so tabs and devices spread out, and never
 * uses more than half a token's remaining life as the margin.
 * Two minutes leaves room for several retries while the old token still works.
 */
export const DEFAULT_REFRESH_MARGIN_MS = 120_000

/**
 * The floor between two automatic fetches. A token that is already expired on arrival, or
 * lives shorter than the margin, is fetched again at most this often, never in a hot loop.
 */
export const MIN_REFRESH_INTERVAL_MS = 5_000

/** How long one request to the token endpoint may take before it counts as failed. */
export const DEFAULT_TIMEOUT_MS = 10_000

/**
 * Retry policy for failed fetches: exponential backoff with full jitter above the floor,
 * capped at `maxDelay`. `limit` is how many retries a waiting `getToken()` sits through before
 * it rejects; the manager itself keeps retrying until it holds a token again or is stopped.
 */
export const DEFAULT_RETRY = { limit: 3, baseDelay: 1_000, maxDelay: 120_000 } as const

/** The longest delay `setTimeout` accepts; longer ones fire at once in every browser. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647
