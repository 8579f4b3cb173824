import { MAX_TIMER_DELAY_MS } from '../constants'
import { decodeToken } from '../token'
import { parseDuration } from './duration'
import { IssueTokenError, quote } from './errors'
import { buildScope, type ScopeOptions } from './scopes'
import { parseRetryAfter } from '../retry'

/** Sent when no `expiresIn` is given: Courier only writes `exp` into tokens issued with one. */
export const DEFAULT_EXPIRES_IN = '1h'

/** The longest `expiresIn` taken: a year. Longer (`1e20`, `'999999 days'`) is a mistake, not a lifetime. */
export const MAX_EXPIRES_IN = '365d'
const MAX_LIFETIME_MS = parseDuration(MAX_EXPIRES_IN)

/** Courier's REST API per region. */
export const COURIER_API_URLS = { us: 'https://api.courier.com', eu: 'https://api.eu.courier.com' } as const

export interface CourierConnection {
  /** Your Courier API key. Server-side only: it never reaches a browser, an error or a log. */
  apiKey: string
  /** @default 'us' */
  region?: keyof typeof COURIER_API_URLS
  /** Overrides the region's URL, e.g. a proxy or a test double. */
  baseUrl?: string
  /** @default globalThis.fetch */
  fetch?: typeof fetch
  /** Milliseconds to wait for Courier. @default 10_000 */
  timeout?: number
}

export interface IssueCourierTokenOptions extends CourierConnection, ScopeOptions {
  /** Token lifetime: `"1h"`, `"20m"`, `"2 days"`, or seconds. @default DEFAULT_EXPIRES_IN */
  expiresIn?: string | number | undefined
}

export interface IssuedToken {
  token: string
  /** When it expires, in ms on Courier's clock. */
  expiresAt: number | undefined
  /** The scope it was issued with. */
  scope: string
}

/** Lifetime in ms, refused unless it is a duration from a second to MAX_EXPIRES_IN. */
export function lifetimeOf(expiresIn: string | number): number {
  let ms = NaN
  try {
    ms = parseDuration(expiresIn)
  } catch {
    // reported below
  }
  if (!(ms >= 1000 && ms <= MAX_LIFETIME_MS)) {
    throw new IssueTokenError(
      'invalid-input',
      `Refusing expiresIn ${quote(expiresIn)}: use a duration from a second to a year, such as "1h", "20m" or "2 days".`,
    )
  }
  return ms
}

/** Courier's URL without a trailing slash: `baseUrl`, refused unless it is an http(s) URL, else the region's. */
export function baseUrlOf({ baseUrl, region = 'us' }: Pick<CourierConnection, 'baseUrl' | 'region'>): string {
  if (baseUrl === undefined || baseUrl === null) {
    if (!Object.hasOwn(COURIER_API_URLS, region))
      throw new IssueTokenError('invalid-input', `Unknown region ${JSON.stringify(region)}: use "us" or "eu".`)
    return COURIER_API_URLS[region]
  }
  let protocol = ''
  try {
    protocol = new URL(baseUrl).protocol
  } catch {
    // reported below
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    // Else fetch fails on every call, reported as Courier being unavailable (a 502 the browser retries forever).
    throw new IssueTokenError(
      'invalid-input',
      `Refusing baseUrl ${JSON.stringify(baseUrl)}: use an http(s) URL such as https://api.courier.com, or leave it out for the region's.`,
    )
  }
  return baseUrl.replace(/\/+$/, '')
}

/** The Courier call's timeout in ms, refused unless above 0 and finite, clamped to what a timer can wait. */
export function timeoutOf(timeout: number): number {
  if (!(timeout > 0 && timeout < Infinity)) {
    throw new IssueTokenError(
      'invalid-input',
      `Refusing timeout ${typeof timeout === 'number' ? timeout : JSON.stringify(timeout)}: use a number of milliseconds above 0, such as 10000.`,
    )
  }
  return Math.min(timeout, MAX_TIMER_DELAY_MS)
}

const readMessage = (body: string) => {
  try {
    const { message, type } = JSON.parse(body) as { message?: unknown; type?: unknown }
    return [message, type].filter((part) => typeof part === 'string').join(', ')
  } catch {
    return ''
  }
}

/**
 * Issues a JWT for one user through Courier's Issue Token endpoint:
 * `POST {base}/auth/issue-token` with `{ scope: "user_id:<id> …", expires_in }`.
 * The user id and scopes are checked before any request, so no input can widen the token.
 * @throws {IssueTokenError} with a message that says what to fix; the API key is never in it.
 * @example await issueCourierToken({ apiKey: process.env.COURIER_API_KEY!, userId: session.userId })
 */
export async function issueCourierToken(options: IssueCourierTokenOptions): Promise<IssuedToken> {
  const { apiKey, expiresIn = DEFAULT_EXPIRES_IN, fetch = globalThis.fetch, timeout = 10_000 } = options
  if (typeof apiKey !== 'string' || !apiKey.trim()) {
    throw new IssueTokenError(
      'invalid-input',
      'apiKey is missing: pass your Courier API key on the server, e.g. process.env.COURIER_API_KEY.',
    )
  }
  const base = baseUrlOf(options)
  const scope = buildScope(options)
  const ms = timeoutOf(timeout)
  // Seconds with a unit: a bare number would be read as milliseconds by some parsers.
  const expires_in = `${Math.round(lifetimeOf(expiresIn) / 1000)}s`
  // fetch trims header values, so Courier sees (and may echo) the trimmed key: send and scrub that one.
  // A key read from a file or a CRLF .env often ends in a newline or CR. An answer may quote only the
  // start of it: every prefix of 12 characters or more goes too, longest first.
  const key = apiKey.trim()
  const scrub = (text: string) => {
    for (let length = key.length; length >= Math.min(12, key.length); length--) text = text.split(key.slice(0, length)).join('[redacted]')
    return text
  }

  let response: Response
  let body: string
  try {
    const signal = AbortSignal.timeout(ms)
    // Also for a fetch (a wrapper, a polyfill) that ignores the signal: a hung call must end, or
    // createTokenHandler would share it with every later request for that user.
    const timedOut = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }))
    timedOut.catch(() => {})
    response = await Promise.race([
      fetch(`${base}/auth/issue-token`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ scope, expires_in }),
        signal,
      }),
      timedOut,
    ])
    body = await Promise.race([response.text(), timedOut])
  } catch (error) {
    let reason = 'unknown error'
    try {
      reason = String((error as Error)?.message ?? error)
    } catch {
      // not printable
    }
    throw new IssueTokenError('unavailable', `Could not reach Courier at ${base}: ${scrub(reason)}.`)
  }
  const { status } = response
  const detail = scrub(readMessage(body))
  const said = detail ? `: ${detail}` : ''
  if (status === 401) {
    throw new IssueTokenError(
      'unauthorized',
      `Courier refused the API key (401${said}). Use this workspace's API key for the right environment (test or production), from the Courier dashboard's API Keys settings.`,
      { status },
    )
  }
  if (status === 429) {
    const retryAfter = parseRetryAfter(response.headers.get('retry-after'), Date.now())
    throw new IssueTokenError(
      'rate-limited',
      `Courier is rate limiting token requests (429${said}). Reuse tokens instead of issuing one per request: createTokenHandler caches them.`,
      { status, ...(retryAfter === undefined ? {} : { retryAfter }) },
    )
  }
  if (status >= 500)
    throw new IssueTokenError('unavailable', `Courier failed to issue the token (${status}${said}); try again shortly.`, { status })
  if (status >= 400) {
    throw new IssueTokenError(
      'rejected',
      `Courier rejected the token request (${status}${said}). Check the scope "${scope}" and expires_in "${expires_in}".`,
      { status },
    )
  }
  let issued: IssuedToken
  let users: string[]
  try {
    const { token } = JSON.parse(body) as { token: string }
    const { expiresAt, scopes } = decodeToken(token)
    issued = { token, expiresAt, scope }
    users = scopes.filter((each) => each.startsWith('user_id:'))
  } catch (cause) {
    throw new IssueTokenError('invalid-response', `Courier answered ${status} without a token.`, { status, cause })
  }
  // Never pass on a token that reads another user's data, or no one's.
  const asked = `user_id:${options.userId}`
  if (users.length !== 1 || users[0] !== asked) {
    throw new IssueTokenError(
      'invalid-response',
      `Courier answered a token for ${users.map(quote).join(' ') || 'no user'}, not ${quote(asked)}: it is not passed on.`,
      { status },
    )
  }
  return issued
}
