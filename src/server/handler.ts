import type { IncomingMessage, ServerResponse } from 'node:http'
import { IssueTokenError, isIssueTokenError, quote } from './errors'
import {
  baseUrlOf,
  DEFAULT_EXPIRES_IN,
  issueCourierToken,
  lifetimeOf,
  timeoutOf,
  type CourierConnection,
  type IssuedToken,
} from './issue-token'
import { buildScope, type ScopeOptions } from './scopes'

export interface TokenHandlerOptions<Context> extends CourierConnection, Omit<ScopeOptions, 'userId'> {
  /**
   * The signed-in user, from your own session: a cookie, a header your auth layer checked, or
   * `context` (the second argument your framework passes). Return nothing for "not signed in" (401).
   * Never read the user from the query or the body: anyone can write those.
   */
  getUserId: (request: Request, context: Context) => string | null | undefined | Promise<string | null | undefined>
  /** @default DEFAULT_EXPIRES_IN */
  expiresIn?: string | number
  /**
   * Tokens are reused per user and scope set while they have at least `minRemaining` ms left (0 or
   * more, under the lifetime), up to `maxEntries` users (the least recently issued go first). `false`
   * reuses none: every request gets a token of its own, but concurrent requests still share one call.
   * The default keeps reuse to a token's first fifth of life: tabs and devices asking together share
   * one, while a refresh (which the browser's manager makes with at most three quarters left) always
   * gets a new token.
   * @default { maxEntries: 1000, minRemaining: 80% of the lifetime }
   */
  cache?: false | { maxEntries?: number; minRemaining?: number }
  /** Failures worth a look (never with the API key in them). @default console.error */
  onError?: (error: unknown) => void
}

/** What toNodeHandler passes as the context: Express and node:http's request and response. */
export interface NodeContext {
  req: IncomingMessage
  res: ServerResponse
}

/** The longest Retry-After the handler passes on to the browser: an hour. */
const MAX_RETRY_AFTER_S = 3600

const answer = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: {
      'content-type': 'application/json',
      'cache-control': 'no-store',
      // The browser's token manager dates a reused token by the server clock.
      date: new Date().toUTCString(),
      ...headers,
    },
  })

// What the browser sees of a failure: never a 401 for Courier refusing our key (that would sign the
// user out), and 5xx where retrying may help, so the token manager retries.
const failure = (error: unknown) => {
  const code = isIssueTokenError(error) ? error.code : 'internal'
  if (code === 'rate-limited') {
    // Capped: a bad header from Courier must not silence every Inbox for a day.
    const seconds = Math.min(Math.ceil(((error as IssueTokenError).retryAfter ?? 30_000) / 1000), MAX_RETRY_AFTER_S)
    return answer(503, { error: code }, { 'retry-after': String(seconds) })
  }
  return answer(code === 'unavailable' || code === 'invalid-response' ? 502 : 500, { error: code })
}

/**
 * A Web-standard request handler for your token endpoint (Next.js route handlers, Hono, Bun, Deno,
 * workers; `toNodeHandler` for node:http and Express). Answers `{ token, expiresAt, expiresIn }` for
 * the signed-in user (`expiresIn`: whole seconds left, which the browser's manager counts from its
 * request, whatever the browser's clock says), 401 without one. Concurrent requests for one user share one Courier call, and a
 * token with enough life left is reused.
 * @example export const GET = createTokenHandler({ apiKey: process.env.COURIER_API_KEY!, getUserId: (request) => session(request)?.userId })
 */
export function createTokenHandler<Context = unknown>(options: TokenHandlerOptions<Context>) {
  const { getUserId, expiresIn = DEFAULT_EXPIRES_IN, cache: cacheOptions = {}, onError = console.error } = options
  if (typeof getUserId !== 'function') throw new TypeError('getUserId is required: it returns the signed-in user from your session.')
  const lifetime = lifetimeOf(expiresIn)
  // Bad features, scopes, timeout, baseUrl or region fail now, not per request.
  buildScope({ ...options, userId: 'check' })
  if (options.timeout !== undefined) timeoutOf(options.timeout)
  baseUrlOf(options)
  const { maxEntries = 1000, minRemaining = lifetime * 0.8 } = cacheOptions || {}
  // Below 0 a cached token would be served after it expired; at the lifetime or more, none is ever reused.
  if (!(minRemaining >= 0 && minRemaining < lifetime)) {
    throw new IssueTokenError(
      'invalid-input',
      `Refusing cache.minRemaining ${quote(minRemaining)}: use milliseconds from 0 to under the lifetime (${lifetime}).`,
    )
  }
  if (!(Number.isInteger(maxEntries) && maxEntries > 0))
    throw new IssueTokenError('invalid-input', `Refusing cache.maxEntries ${quote(maxEntries)}: use a whole number above 0.`)
  const cache = new Map<string, IssuedToken>()
  const inFlight = new Map<string, Promise<IssuedToken>>()
  const report = (error: unknown) => {
    try {
      onError(error)
    } catch {
      // a broken logger must not break the endpoint
    }
  }

  const issue = (userId: string) => {
    const key = buildScope({ ...options, userId })
    const cached = cache.get(key)
    if (cacheOptions !== false && cached?.expiresAt !== undefined && cached.expiresAt - Date.now() >= minRemaining) return cached
    let pending = inFlight.get(key)
    if (!pending) {
      pending = issueCourierToken({ ...options, userId, expiresIn }).finally(() => inFlight.delete(key))
      inFlight.set(key, pending)
      pending.then(
        (issued) => {
          if (cacheOptions === false || issued.expiresAt === undefined) return
          cache.delete(key)
          cache.set(key, issued)
          for (const oldest of cache.keys()) {
            if (cache.size <= maxEntries) break
            cache.delete(oldest)
          }
        },
        () => {},
      )
    }
    return pending
  }

  return async (request: Request, context?: Context): Promise<Response> => {
    if (request.method !== 'GET' && request.method !== 'POST') return answer(405, { error: 'method-not-allowed' }, { allow: 'GET, POST' })
    let userId: string | null | undefined
    try {
      userId = await getUserId(request, context as Context)
    } catch (error) {
      report(error)
      return failure(error)
    }
    if (userId === null || userId === undefined || userId === '') return answer(401, { error: 'unauthenticated' })
    try {
      const { token, expiresAt } = await issue(userId)
      // Whole seconds left, rounded down: counted from the browser's request start, never late.
      const expiresIn = expiresAt === undefined ? undefined : Math.max(0, Math.floor((expiresAt - Date.now()) / 1000))
      return answer(200, { token, expiresAt, expiresIn })
    } catch (error) {
      report(error)
      return failure(error)
    }
  }
}

/**
 * Adapts a Web-standard handler to node:http (and node:http2's compatibility API) and Express: `app.get('/api/courier-token', toNodeHandler(handler))`.
 * The handler's context is `{ req, res }`, so `getUserId` can read `req.session`.
 */
export function toNodeHandler(handler: (request: Request, context: NodeContext) => Promise<Response>) {
  return (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => {
    // Built inside the chain: a method, Host or other header the Request constructor refuses must not
    // throw out of the server's request listener. The body is never read: the user comes from the session.
    Promise.resolve()
      .then(() => {
        const headers = new Headers()
        for (const [name, value] of Object.entries(req.headers)) {
          // node:http2's compatibility API adds pseudo-headers (:method, :path, :authority), which are no header names.
          if (name.startsWith(':')) continue
          for (const each of [value ?? []].flat()) headers.append(name, each)
        }
        const host = req.headers.host ?? (req.headers[':authority'] as string | undefined) ?? 'localhost'
        return handler(new Request(new URL(req.url ?? '/', `http://${host}`), { method: req.method ?? 'GET', headers }), { req, res })
      })
      .then(async (response) => {
        const body = new Uint8Array(await response.arrayBuffer())
        // getUserId (it has `res`) or a middleware answered already: writing again would throw.
        if (res.headersSent) return
        res.writeHead(response.status, Object.fromEntries(response.headers))
        res.end(body)
      })
      .catch((error: unknown) => {
        if (next) return next(error)
        // Never rethrow from here: an unhandled rejection takes the whole server down.
        if (!res.headersSent) res.writeHead(500)
        if (!res.writableEnded) res.end()
      })
  }
}

export { IssueTokenError }
