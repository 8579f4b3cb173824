import ky from 'ky'
import { isTokenManagerError, TokenManagerError } from './errors'
import { codeForStatus, parseRetryAfter } from './retry'
import { placeOnLocalClock } from './schedule'
import { decodeToken, isTime, type TokenInfo } from './token'

/**
 * What a token endpoint or `fetchToken` may answer: the bare JWT, or Courier's own `{ token }`, with
 * `expiresIn` (seconds the token has left, as OAuth's `expires_in`) if you can: counted from when the
 * request started, it places the expiry exactly whatever the clocks say. `createTokenHandler` sends it.
 */
export type TokenResult = string | { token: string; expiresIn?: number | undefined }

export interface RequestOptions {
  /** @default 'GET' */
  method?: string
  /** Sent with every request. A function is called per request, e.g. to read a fresh CSRF token. */
  headers?: HeadersInit | (() => HeadersInit | Promise<HeadersInit>)
  /** @default 'same-origin' */
  credentials?: RequestCredentials
  body?: BodyInit
  /** Milliseconds one request may take, `fetchToken` included. @default DEFAULT_TIMEOUT_MS */
  timeout?: number
}

/** Where tokens come from: your backend's `url`, or your own `fetchToken`. Exactly one. */
export type TokenSourceOptions = UrlSource | FunctionSource

export interface UrlSource {
  /** Your backend's endpoint that returns a Courier JWT, e.g. `/api/generate-courier-jwt`. */
  url: string | URL
  fetchToken?: never
  request?: RequestOptions
  /** Read the token from a response shaped other than text, `{ token }` or `{ jwt }`. A throw fails the request with `invalid-response`. */
  parseResponse?: (response: Response) => TokenResult | Promise<TokenResult>
  /** @default globalThis.fetch, looked up at request time */
  fetch?: typeof fetch
}

export interface FunctionSource {
  /**
   * Get the JWT yourself. Use `signal`: it aborts on timeout and `stop()`.
   * Reject with an error whose `status` (or `response.status`) is 401 or 403 to sign the user out.
   */
  fetchToken: (context: { signal: AbortSignal }) => Promise<TokenResult>
  url?: never
  request?: Pick<RequestOptions, 'timeout'>
  parseResponse?: never
  fetch?: never
}

// A bare JWT as text, Courier's JSON `{ token }`, `{ jwt }` (each with an `expiresIn` or not), or a JSON string.
const readBody = async (response: Response): Promise<TokenResult> => {
  const text = (await response.text()).trim()
  try {
    const value = JSON.parse(text)
    return value?.jwt ? { ...value, token: value.jwt } : value
  } catch {
    return text
  }
}

// Decodes an answer and places it on the local clock. A parser that throws (response.json() on an HTML page)
// gave no token either: invalid-response, not network. So does an expiresIn that is no number of seconds.
const placeAnswer = async (
  answer: () => TokenResult | Promise<TokenResult>,
  problem: string,
  startedAt: number,
  arrivedAt?: number,
  serverTime?: number,
): Promise<TokenInfo> => {
  let info: TokenInfo
  let expiresIn: unknown
  try {
    const value = (await answer()) as { token?: string; expiresIn?: unknown } | null
    // null is no expiresIn: JSON serialisers write it for a missing value.
    expiresIn = value?.expiresIn ?? undefined
    info = decodeToken(value?.token ?? (value as string))
  } catch (cause) {
    throw new TokenManagerError('invalid-response', problem, { cause })
  }
  if (!isTime(expiresIn) || expiresIn! < 0)
    throw new TokenManagerError('invalid-response', 'expiresIn must be a number of seconds, 0 or more.')
  return placeOnLocalClock(info, startedAt, serverTime, arrivedAt, expiresIn)
}

/**
 * Turns the options into one function that fetches a JWT and places it on the local clock, from
 * `startedAt` (when the request started) and the server's `Date` header; throws a TypeError for bad options.
 */
export function createTokenSource({ url, fetchToken, request = {}, parseResponse = readBody, fetch }: TokenSourceOptions) {
  if (!url === !fetchToken) throw new TypeError('Pass either url or fetchToken.')
  return async (signal: AbortSignal, startedAt: number, now?: () => number): Promise<TokenInfo> => {
    if (fetchToken) {
      const answer = await fetchToken({ signal }) // its errors keep their meaning: a 401 signs out
      return placeAnswer(() => answer, 'fetchToken() must return a JWT or { token }.', startedAt, now?.())
    }
    const { headers, timeout, ...init } = request as RequestOptions
    // ky reads globalThis.fetch per request when `fetch` is undefined; credentials default to same-origin.
    const response = await ky(url!, {
      ...init,
      headers: typeof headers === 'function' ? await headers() : headers,
      signal,
      fetch,
      retry: 0, // the manager retries, with backoff that knows about expiry and being offline
      timeout: false, // the manager times requests on its own clock
      // Chromium holds a GET back while another GET of the URL is in flight (one writer per HTTP cache
      // entry, for up to 20 s): a frozen tab's request would hold up the others' fetch without its lock.
      cache: 'no-store',
    } as Parameters<typeof ky>[1])
    const type = response.headers.get('content-type') ?? 'no content type'
    // An HTML page: the SPA's index.html for a route that does not exist, or, behind a redirect, the login page of a session that ended.
    let hint = ''
    if (type.includes('html')) hint = response.redirected ? ' (redirected to a sign-in page?)' : ' (a missing route?)'
    return placeAnswer(
      () => parseResponse(response),
      `${url} sent ${type}, not a JWT${hint}.`,
      startedAt,
      now?.(),
      Date.parse(response.headers.get('date')!),
    )
  }
}

/**
 * Maps anything a fetch can throw to a TokenManagerError. An error carrying an HTTP status
 * (ky's HTTPError, or one thrown by `fetchToken`) becomes `http`, or `unauthenticated` for 401/403.
 */
export function toTokenManagerError(error: unknown, now: number): TokenManagerError {
  if (isTokenManagerError(error)) return error
  const {
    message,
    status: ownStatus,
    response,
  } = (error ?? {}) as {
    message?: string
    status?: number
    response?: { status?: number; headers?: { get?(name: string): string | null } }
  }
  const status = response?.status ?? ownStatus
  let text: string
  try {
    text = String(message ?? error)
  } catch {
    text = 'an unprintable error' // e.g. an object without toString
  }
  return new TokenManagerError(
    codeForStatus(status),
    `Token request failed: ${text}`,
    // An HTTP-date Retry-After is server time: counted from the Date header, a skewed local clock neither stretches nor cuts it.
    {
      cause: error,
      status,
      retryAfter: parseRetryAfter(response?.headers?.get?.('retry-after'), Date.parse(response?.headers?.get?.('date') as string) || now),
    },
  )
}
