// A model world for property tests: a backend whose behaviour the test switches, which knows the
// real expiry of every token it minted, and which counts what is in flight.
import fc from 'fast-check'
import { makeJwt } from './jwt'

/**
 * How a token answer is shaped: `expiresIn` adds the seconds it has left (`{ token, expiresIn }`); `dated`
 * sends the server's `Date` header, when the manager fetches with `url` (fetchToken has no headers).
 */
export interface AnswerShape {
  expiresIn?: boolean | undefined
  dated?: boolean | undefined
}

export type BackendMode =
  | ({ kind: 'ok'; lifetime: number | null; skew: number; user: 'alice' | 'mallory'; latency: number } & AnswerShape)
  | { kind: 'status'; status: 401 | 403 | 404 | 429 | 500 | 503; retryAfter?: number | undefined; latency: number }
  | { kind: 'network'; latency: number }
  | { kind: 'hang' }
  /**
   * A backend that caches: the last token it gave out for alice again, of whatever age by now, while it
   * has a minute left (no cache hands out a token about to expire), else a fresh one.
   */
  | ({ kind: 'reuse'; latency: number } & AnswerShape)
  | { kind: 'malformed'; body: 'html' | 'empty' | 'object' | 'garbage' | 'bad-claims' | 'expired'; latency: number }

const latency = fc.integer({ min: 0, max: 2_000 })
const expiresIn = fc.boolean()
const dated = fc.boolean()

export const backendMode: fc.Arbitrary<BackendMode> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('ok' as const),
      lifetime: fc.constantFrom(5, 30, 300, 3600, 172_800, null),
      skew: fc.constantFrom(0, 3_600_000, -3_600_000, 42_123),
      user: fc.constantFrom('alice' as const, 'alice' as const, 'mallory' as const),
      latency,
      expiresIn,
      dated,
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record(
      {
        kind: fc.constant('status' as const),
        status: fc.constantFrom(500 as const, 503 as const, 429 as const, 404 as const, 401 as const, 403 as const),
        retryAfter: fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined }),
        latency,
      },
      { requiredKeys: ['kind', 'status', 'latency'] },
    ),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('network' as const), latency }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'hang' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('reuse' as const), latency, expiresIn, dated }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('malformed' as const),
      body: fc.constantFrom(
        'html' as const,
        'empty' as const,
        'object' as const,
        'garbage' as const,
        'bad-claims' as const,
        'expired' as const,
      ),
      latency,
    }),
  },
)

export function modelBackend(initial: BackendMode = { kind: 'ok', lifetime: 3600, skew: 0, user: 'alice', latency: 50 }) {
  let mode = initial
  let minted = 0
  let lastForAlice: string | undefined
  /** Every token minted, with the moment Courier starts refusing it, on the client's clock. */
  const expiries = new Map<string, number>()
  const requests: Array<{ start: number; end?: number }> = []
  const state = { inFlight: 0, maxInFlight: 0 }

  // The seconds a token has left, as createTokenHandler answers them: whole seconds, rounded down.
  const shaped = (token: string, current: AnswerShape): unknown => {
    const left = backendExpiry(token) - Date.now()
    return current.expiresIn && left < Infinity ? { token, expiresIn: Math.max(0, Math.floor(left / 1000)) } : token
  }
  const backendExpiry = (token: string) => expiries.get(token) ?? -Infinity

  const answer = (current: BackendMode): unknown => {
    const now = Date.now()
    switch (current.kind) {
      case 'ok': {
        const iat = Math.floor((now + current.skew) / 1000)
        const exp = current.lifetime === null ? undefined : iat + current.lifetime
        const token = makeJwt({
          scope: `user_id:${current.user} inbox:read:messages inbox:write:events`,
          iat,
          ...(exp === undefined ? {} : { exp }),
          jti: String(++minted),
        })
        expiries.set(token, exp === undefined ? Infinity : exp * 1000 - current.skew)
        if (current.user === 'alice') lastForAlice = token
        return shaped(token, current)
      }
      case 'reuse':
        // Without expiresIn or a Date header nothing says how old it is. (A token dead by the client's clock is
        // given its lifetime from the request: a clock far ahead cannot be told from a dead token without it.)
        if (lastForAlice && expiries.get(lastForAlice)! - now > 60_000) return shaped(lastForAlice, current)
        return answer({ ...current, kind: 'ok', lifetime: 300, skew: 0, user: 'alice' })
      case 'status': {
        const headers = {
          get: (name: string) =>
            name.toLowerCase() === 'retry-after' && current.retryAfter !== undefined ? String(current.retryAfter) : null,
        }
        throw Object.assign(new Error(`HTTP ${current.status}`), { status: current.status, response: { status: current.status, headers } })
      }
      case 'network':
        throw new TypeError('Failed to fetch')
      case 'malformed': {
        const seconds = Math.floor(now / 1000)
        if (current.body === 'expired') {
          // Expired when issued (exp before iat). A token issued long ago cannot be told from one minted
          // by a server with a slow clock without the Date header: that case is tested in url mode.
          const token = makeJwt({
            scope: 'user_id:alice inbox:read:messages inbox:write:events',
            iat: seconds,
            exp: seconds - 60,
            jti: String(++minted),
          })
          expiries.set(token, (seconds - 60) * 1000)
          return token
        }
        return {
          html: '<!doctype html><title>App</title>',
          empty: '',
          object: { nope: 1 },
          garbage: 'eyJhbGciOi.not-json.x',
          'bad-claims': makeJwt({ scope: 'user_id:alice', exp: 'soon' }),
        }[current.body]
      }
      case 'hang':
        throw new Error('unreachable')
    }
  }

  /** The manager's `fetchToken`: answers per the mode at the time of the request, after its latency. */
  const fetchToken = ({ signal }: { signal: AbortSignal }) =>
    new Promise<string | { token: string; expiresIn: number }>((resolve, reject) => {
      const current = mode
      const record: { start: number; end?: number } = { start: Date.now() }
      requests.push(record)
      state.maxInFlight = Math.max(state.maxInFlight, ++state.inFlight)
      let timer: ReturnType<typeof setTimeout> | undefined
      const done = () => {
        state.inFlight--
        record.end = Date.now()
        signal.removeEventListener('abort', abort)
      }
      const abort = () => {
        clearTimeout(timer)
        done()
        reject(signal.reason)
      }
      if (signal.aborted) return abort()
      signal.addEventListener('abort', abort, { once: true })
      if (current.kind === 'hang') return
      timer = setTimeout(() => {
        done()
        try {
          resolve(answer(current) as string | { token: string; expiresIn: number })
        } catch (error) {
          reject(error)
        }
      }, current.latency)
    })

  /**
   * The same backend behind `url`: a token answers 200 (JSON or text) with the server's `Date` header when
   * the mode says `dated`; a status error answers that status (Retry-After kept); a network error throws.
   */
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const signal = init?.signal ?? (input instanceof Request ? input.signal : undefined) ?? new AbortController().signal
    const current = mode
    let body: unknown
    try {
      body = await fetchToken({ signal })
    } catch (error) {
      const { status, response } = error as { status?: number; response?: { headers: { get(name: string): string | null } } }
      if (!status) throw error
      const retryAfter = response?.headers.get('retry-after')
      return new Response('{}', { status, headers: retryAfter ? { 'retry-after': retryAfter } : {} })
    }
    const skew = current.kind === 'ok' ? current.skew : 0
    const headers: Record<string, string> = { 'content-type': typeof body === 'string' ? 'text/plain' : 'application/json' }
    if ((current.kind === 'ok' || current.kind === 'reuse') && current.dated) headers.date = new Date(Date.now() + skew).toUTCString()
    return new Response(typeof body === 'string' ? body : JSON.stringify(body), { status: 200, headers })
  }

  return {
    fetchToken,
    fetch,
    expiries,
    requests,
    state,
    get mode() {
      return mode
    },
    set mode(next: BackendMode) {
      mode = next
    },
  }
}

export type ModelBackend = ReturnType<typeof modelBackend>

/** Records unhandled promise rejections while a property runs. */
export function watchUnhandledRejections() {
  const seen: unknown[] = []
  const listener = (reason: unknown) => void seen.push(reason)
  process.on('unhandledRejection', listener)
  return { seen, stop: () => void process.off('unhandledRejection', listener) }
}
