import { afterEach, describe, expect, it, vi } from 'vitest'
import { TokenManagerError } from '../src/errors'
import { createTokenSource, toTokenManagerError } from '../src/fetch-token'
import type { TokenSourceOptions } from '../src/fetch-token'
import { fakeBackend, jsonResponse, tokenResponse } from './helpers/backend'
import type { Reply } from './helpers/backend'
import { courierJwt, makeJwt } from './helpers/jwt'

const URL_ = 'https://app.test/api/token'
const ISSUED = Date.UTC(2025, 0, 1, 12, 0, 0)
const JWT = courierJwt({ userId: 'alice', issuedAt: ISSUED, lifetime: 3600 })

const backendReplying = (...replies: Reply[]) => {
  const backend = fakeBackend(() => new Response('unexpected request', { status: 599 }))
  backend.reply(...replies)
  return backend
}

const newSignal = () => new AbortController().signal
/** A request started a second after the token was issued: the clocks agree, so times stay as the claims say. */
const STARTED = ISSUED + 1000

/** The value a promise rejects with; fails the test when it resolves. */
const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise
  } catch (error) {
    return error
  }
  throw new Error('expected the promise to reject')
}

const asTokenManagerError = (error: unknown): TokenManagerError => {
  expect(error).toBeInstanceOf(TokenManagerError)
  return error as TokenManagerError
}

const text = (body: string, contentType = 'text/plain') => new Response(body, { headers: { 'content-type': contentType } })

afterEach(() => {
  vi.unstubAllGlobals()
  vi.useRealTimers()
})

describe('createTokenSource: options', () => {
  it('throws a TypeError when neither url nor fetchToken is given', () => {
    expect(() => createTokenSource({} as TokenSourceOptions)).toThrow(TypeError)
    expect(() => createTokenSource({} as TokenSourceOptions)).toThrow('Pass either url or fetchToken.')
  })

  it('throws a TypeError when both url and fetchToken are given', () => {
    const options = { url: URL_, fetchToken: async () => JWT } as unknown as TokenSourceOptions
    expect(() => createTokenSource(options)).toThrow(TypeError)
    expect(() => createTokenSource(options)).toThrow('Pass either url or fetchToken.')
  })

  it('treats an empty url as missing', () => {
    expect(() => createTokenSource({ url: '' })).toThrow('Pass either url or fetchToken.')
  })

  it('makes no request and calls nothing until the source is called', () => {
    const backend = backendReplying()
    const headers = vi.fn(() => ({}))
    const fetchToken = vi.fn(async () => JWT)
    createTokenSource({ url: URL_, fetch: backend.fetch, request: { headers } })
    createTokenSource({ fetchToken })
    expect(backend.requests).toHaveLength(0)
    expect(headers).not.toHaveBeenCalled()
    expect(fetchToken).not.toHaveBeenCalled()
  })
})

describe('createTokenSource: url', () => {
  it('GETs the url and decodes the token it answers', async () => {
    const backend = backendReplying(tokenResponse(JWT))
    const source = createTokenSource({ url: URL_, fetch: backend.fetch })
    const info = await source(newSignal(), STARTED)
    expect(backend.requests).toHaveLength(1)
    expect(backend.requests[0]?.url).toBe(URL_)
    expect(backend.requests[0]?.method).toBe('GET')
    expect(info.token).toBe(JWT)
    expect(info.userId).toBe('alice')
    expect(info.scopes).toEqual(['user_id:alice', 'inbox:read:messages', 'inbox:write:events'])
    expect(info.tenantId).toBe('tenant-1')
    expect(info.issuedAt).toBe(ISSUED)
    expect(info.expiresAt).toBe(ISSUED + 3_600_000)
  })

  it('accepts the url as a URL object', async () => {
    const backend = backendReplying(tokenResponse(JWT))
    const source = createTokenSource({ url: new URL(URL_), fetch: backend.fetch })
    expect((await source(newSignal(), STARTED)).token).toBe(JWT)
    expect(backend.requests[0]?.url).toBe(URL_)
  })

  it('makes one request per call', async () => {
    const backend = backendReplying(tokenResponse(JWT), tokenResponse(JWT))
    const source = createTokenSource({ url: URL_, fetch: backend.fetch })
    await source(newSignal(), STARTED)
    await source(newSignal(), STARTED)
    expect(backend.requests).toHaveLength(2)
  })

  it.each<[string, () => Response]>([
    ['a bare JWT as text', () => text(JWT)],
    ['a bare JWT surrounded by whitespace', () => text(`\n  ${JWT}  \r\n`)],
    ['a bare JWT without a content type', () => new Response(JWT)],
    ['JSON { token }', () => jsonResponse({ token: JWT })],
    ['JSON { jwt }', () => jsonResponse({ jwt: JWT })],
    ['JSON { token } with other fields', () => jsonResponse({ token: JWT, expiresIn: 3600 })],
    ['a JSON string', () => jsonResponse(JWT)],
    ['a JSON string served as text', () => text(JSON.stringify(JWT))],
  ])('reads the token from %s', async (_, reply) => {
    const backend = backendReplying(reply())
    const info = await createTokenSource({ url: URL_, fetch: backend.fetch })(newSignal(), STARTED)
    expect(info.token).toBe(JWT)
    expect(info.userId).toBe('alice')
  })

  it('places the token on the local clock by the Date header when it is later than iat', async () => {
    // The server answered 30 s after it issued the token (a cached token): it expires 30 s sooner here.
    const backend = backendReplying(tokenResponse(JWT, { headers: { date: 'Wed, 01 Jan 2025 12:00:30 GMT' } }))
    const info = await createTokenSource({ url: URL_, fetch: backend.fetch })(newSignal(), STARTED)
    expect(info.issuedAt).toBe(ISSUED - 30_000)
    expect(info.expiresAt).toBe(ISSUED + 3_600_000 - 30_000)
  })

  it('places the token on the local clock by iat when there is no Date header, never past its own exp', async () => {
    const backend = backendReplying(tokenResponse(JWT), tokenResponse(JWT))
    // A client clock 5 s behind: counted from the request's start, a second early.
    const behind = await createTokenSource({ url: URL_, fetch: backend.fetch })(newSignal(), STARTED - 5_000)
    expect(behind.issuedAt).toBe(ISSUED - 5_000)
    expect(behind.expiresAt).toBe(ISSUED + 3_595_000)
    // Asked 6 s after iat (a reused token, or a clock ahead): its own exp, not a lifetime counted from now.
    const older = await createTokenSource({ url: URL_, fetch: backend.fetch })(newSignal(), STARTED + 5_000)
    expect(older.issuedAt).toBe(ISSUED)
    expect(older.expiresAt).toBe(ISSUED + 3_600_000)
  })

  describe('expiresIn', () => {
    // The token was issued 9 minutes before the request (the backend reused it): 51 minutes left.
    const REUSED = courierJwt({ userId: 'alice', issuedAt: ISSUED - 9 * 60_000, lifetime: 3600 })

    it.each([
      ['{ token, expiresIn }', () => jsonResponse({ token: REUSED, expiresIn: 3060 })],
      ['{ jwt, expiresIn }', () => jsonResponse({ jwt: REUSED, expiresIn: 3060 })],
      ['{ jwt, expiresIn } with other fields null', () => jsonResponse({ jwt: REUSED, expiresIn: 3060, refreshIn: null })],
    ])('places the expiry expiresIn seconds after the request started: %s', async (_, response) => {
      const backend = backendReplying(response())
      // A client clock two hours ahead, which no Date header or iat could reveal for a reused token.
      const startedAt = ISSUED + 2 * 3_600_000
      const info = await createTokenSource({ url: URL_, fetch: backend.fetch })(newSignal(), startedAt, () => startedAt + 300)
      expect(info.expiresAt).toBe(startedAt + 3_060_000)
      expect(info.expiresAt! - info.issuedAt!).toBe(3_600_000)
    })

    it('is honoured from fetchToken, counted from the request’s start', async () => {
      const source = createTokenSource({ fetchToken: async () => ({ token: REUSED, expiresIn: 3060 }) })
      const info = await source(newSignal(), STARTED, () => STARTED + 5_000)
      expect(info.expiresAt).toBe(STARTED + 3_060_000)
    })

    it('takes the earlier placement when a Date header disagrees: the backend contradicts itself, and late is the one thing not allowed', async () => {
      // The Date header says 15:00, when the token (exp 12:51) is already dead; expiresIn says 51 minutes left.
      const backend = backendReplying(
        jsonResponse({ token: REUSED, expiresIn: 3060 }, { headers: { date: 'Wed, 01 Jan 2025 15:00:00 GMT' } }),
      )
      const startedAt = ISSUED + 2 * 3_600_000
      const info = await createTokenSource({ url: URL_, fetch: backend.fetch })(newSignal(), startedAt, () => startedAt + 300)
      expect(info.expiresAt).toBeLessThan(startedAt)
    })

    it('reads expiresIn: null (what JSON serialisers write for a missing value) as no expiresIn', async () => {
      const backend = backendReplying(jsonResponse({ token: JWT, expiresIn: null }))
      const info = await createTokenSource({ url: URL_, fetch: backend.fetch })(newSignal(), STARTED)
      expect(info.expiresAt).toBe(ISSUED + 3_600_000)
    })

    it.each<[string, unknown, boolean]>([
      ['a string', '3060', true],
      ['a negative number', -1, true],
      ['NaN', Number.NaN, false],
      ['Infinity', Infinity, false],
    ])('rejects %s with invalid-response, naming expiresIn', async (_, expiresIn, inJson) => {
      const fromFunction = asTokenManagerError(
        await rejectionOf(
          createTokenSource({ fetchToken: async () => ({ token: JWT, expiresIn: expiresIn as number }) })(newSignal(), STARTED),
        ),
      )
      const errors = [fromFunction]
      // JSON has no NaN or Infinity: JSON.stringify writes null, which is no expiresIn.
      if (inJson) {
        const backend = backendReplying(jsonResponse({ token: JWT, expiresIn }))
        errors.push(asTokenManagerError(await rejectionOf(createTokenSource({ url: URL_, fetch: backend.fetch })(newSignal(), STARTED))))
      }
      for (const error of errors) {
        expect(error.code).toBe('invalid-response')
        expect(error.message).toBe('expiresIn must be a number of seconds, 0 or more.')
      }
    })
  })

  it('sends the method and body it is given', async () => {
    const backend = backendReplying()
    let sentBody: string | undefined
    // Read the body while answering, as a server would: ky cancels the unused body stream afterwards.
    backend.reply(async () => {
      sentBody = await backend.requests[0]!.text()
      return tokenResponse(JWT)
    })
    const source = createTokenSource({
      url: URL_,
      fetch: backend.fetch,
      request: { method: 'POST', body: JSON.stringify({ userId: 'alice' }), headers: { 'content-type': 'application/json' } },
    })
    expect((await source(newSignal(), STARTED)).token).toBe(JWT)
    const request = backend.requests[0]!
    expect(request.method).toBe('POST')
    expect(request.headers.get('content-type')).toBe('application/json')
    expect(sentBody).toBe('{"userId":"alice"}')
  })

  it('sends fixed headers with every request', async () => {
    const backend = backendReplying(tokenResponse(JWT), tokenResponse(JWT))
    const source = createTokenSource({
      url: URL_,
      fetch: backend.fetch,
      request: { headers: { 'x-app': 'demo', authorization: 'Bearer abc' } },
    })
    await source(newSignal(), STARTED)
    await source(newSignal(), STARTED)
    for (const request of backend.requests) {
      expect(request.headers.get('x-app')).toBe('demo')
      expect(request.headers.get('authorization')).toBe('Bearer abc')
    }
  })

  it('calls a headers function once per request and sends its fresh values', async () => {
    const backend = backendReplying(tokenResponse(JWT), tokenResponse(JWT), tokenResponse(JWT))
    let csrf = 0
    const headers = vi.fn(() => ({ 'x-csrf-token': `csrf-${++csrf}` }))
    const source = createTokenSource({ url: URL_, fetch: backend.fetch, request: { headers } })
    await source(newSignal(), STARTED)
    await source(newSignal(), STARTED)
    await source(newSignal(), STARTED)
    expect(headers).toHaveBeenCalledTimes(3)
    expect(backend.requests.map((request) => request.headers.get('x-csrf-token'))).toEqual(['csrf-1', 'csrf-2', 'csrf-3'])
  })

  it('awaits an async headers function before sending', async () => {
    const backend = backendReplying(tokenResponse(JWT))
    const headers = async () => {
      await Promise.resolve()
      return new Headers({ 'x-csrf-token': 'from-cookie' })
    }
    await createTokenSource({ url: URL_, fetch: backend.fetch, request: { headers } })(newSignal(), STARTED)
    expect(backend.requests[0]?.headers.get('x-csrf-token')).toBe('from-cookie')
  })

  it('sends credentials same-origin by default and passes others through', async () => {
    const backend = backendReplying(tokenResponse(JWT), tokenResponse(JWT))
    await createTokenSource({ url: URL_, fetch: backend.fetch })(newSignal(), STARTED)
    await createTokenSource({ url: URL_, fetch: backend.fetch, request: { credentials: 'include' } })(newSignal(), STARTED)
    expect(backend.requests.map((request) => request.credentials)).toEqual(['same-origin', 'include'])
  })

  it('forwards the signal: aborting it rejects the pending request', async () => {
    const backend = backendReplying('hang')
    const controller = new AbortController()
    const pending = createTokenSource({ url: URL_, fetch: backend.fetch })(controller.signal, STARTED)
    await vi.waitFor(() => expect(backend.inFlight).toBe(1))
    const reason = new Error('stopped by test')
    controller.abort(reason)
    expect(await rejectionOf(pending)).toBe(reason)
    expect(backend.requests[0]?.signal.aborted).toBe(true)
    expect(backend.inFlight).toBe(0)
  })

  it('does not time requests itself: request.timeout is left to the manager', async () => {
    vi.useFakeTimers()
    const backend = backendReplying('hang')
    const controller = new AbortController()
    const pending = createTokenSource({ url: URL_, fetch: backend.fetch, request: { timeout: 10 } })(controller.signal, STARTED)
    let settled = false
    pending.then(
      () => (settled = true),
      () => (settled = true),
    )
    await vi.advanceTimersByTimeAsync(60_000)
    expect(settled).toBe(false)
    expect(backend.inFlight).toBe(1)
    controller.abort()
    await rejectionOf(pending)
  })

  it('does not retry a failed request itself', async () => {
    const backend = backendReplying(new Response('busy', { status: 503 }), tokenResponse(JWT))
    await rejectionOf(createTokenSource({ url: URL_, fetch: backend.fetch })(newSignal(), STARTED))
    expect(backend.requests).toHaveLength(1)
  })

  it('looks up globalThis.fetch at request time when no fetch is given', async () => {
    const source = createTokenSource({ url: URL_ })
    const first = backendReplying(tokenResponse(JWT))
    const second = backendReplying(tokenResponse(JWT))
    vi.stubGlobal('fetch', first.fetch)
    expect((await source(newSignal(), STARTED)).token).toBe(JWT)
    vi.stubGlobal('fetch', second.fetch)
    expect((await source(newSignal(), STARTED)).token).toBe(JWT)
    vi.unstubAllGlobals()
    expect(first.requests.map((request) => request.url)).toEqual([URL_])
    expect(second.requests.map((request) => request.url)).toEqual([URL_])
  })

  describe('parseResponse', () => {
    it('replaces the default parsing and gets the response', async () => {
      const backend = backendReplying(jsonResponse({ data: { courier: JWT } }, { status: 200 }))
      const parseResponse = vi.fn(async (response: Response) => ((await response.json()) as { data: { courier: string } }).data.courier)
      const info = await createTokenSource({ url: URL_, fetch: backend.fetch, parseResponse })(newSignal(), STARTED)
      expect(info.token).toBe(JWT)
      expect(parseResponse).toHaveBeenCalledTimes(1)
      expect(parseResponse.mock.calls[0]?.[0].headers.get('content-type')).toBe('application/json')
    })

    it('may return { token }', async () => {
      const backend = backendReplying(text(`token=${JWT}`))
      const parseResponse = async (response: Response) => ({ token: (await response.text()).slice('token='.length) })
      const info = await createTokenSource({ url: URL_, fetch: backend.fetch, parseResponse })(newSignal(), STARTED)
      expect(info.token).toBe(JWT)
    })

    // The classic: the SPA's index.html served for the route, and a parser calling response.json().
    it('rejects with invalid-response, not network, when it throws', async () => {
      const backend = backendReplying(text('<!doctype html><html></html>', 'text/html'))
      const source = createTokenSource({
        url: URL_,
        fetch: backend.fetch,
        parseResponse: async (response) => (await response.json()) as string,
      })
      const error = asTokenManagerError(await rejectionOf(source(newSignal(), STARTED)))
      expect(error.code).toBe('invalid-response')
      expect(error.message).toBe(`${URL_} sent text/html, not a JWT (a missing route?).`)
      expect(error.cause).toBeInstanceOf(SyntaxError)
      const throwing = () => {
        throw new Error('no token field')
      }
      const fromSync = createTokenSource({ url: URL_, fetch: backendReplying(jsonResponse({})).fetch, parseResponse: throwing })
      expect(asTokenManagerError(await rejectionOf(fromSync(newSignal(), STARTED))).code).toBe('invalid-response')
    })

    it('rejects with invalid-response when it returns something that is not a JWT', async () => {
      const backend = backendReplying(jsonResponse({ token: JWT }))
      const source = createTokenSource({ url: URL_, fetch: backend.fetch, parseResponse: () => 'nope' })
      const error = asTokenManagerError(await rejectionOf(source(newSignal(), STARTED)))
      expect(error.code).toBe('invalid-response')
      expect(error.message).toBe(`${URL_} sent application/json, not a JWT.`)
    })
  })

  describe('answers that are not a token', () => {
    it('explains an HTML page (the SPA’s index.html) as a missing route', async () => {
      const backend = backendReplying(text('<!doctype html><html><body><div id="root"></div></body></html>', 'text/html; charset=utf-8'))
      const error = asTokenManagerError(await rejectionOf(createTokenSource({ url: URL_, fetch: backend.fetch })(newSignal(), STARTED)))
      expect(error.code).toBe('invalid-response')
      expect(error.message).toBe(`${URL_} sent text/html; charset=utf-8, not a JWT (a missing route?).`)
      expect(error.status).toBeUndefined()
    })

    // A backend behind login middleware: once the session ends, fetch follows its 302 to the login page.
    it('explains an HTML page reached through a redirect as a sign-in page', async () => {
      const login = text('<!doctype html><form action="/login"></form>', 'text/html')
      Object.defineProperties(login, { redirected: { value: true }, url: { value: 'https://app.test/login?next=%2Fapi' } })
      const error = asTokenManagerError(
        await rejectionOf(createTokenSource({ url: URL_, fetch: backendReplying(login).fetch })(newSignal(), STARTED)),
      )
      expect(error.code).toBe('invalid-response')
      expect(error.message).toBe(`${URL_} sent text/html, not a JWT (redirected to a sign-in page?).`)
    })

    it.each<[string, () => Response, string]>([
      ['an empty body', () => text(''), 'text/plain'],
      ['whitespace only', () => text('  \n '), 'text/plain'],
      ['JSON without a token', () => jsonResponse({ ok: true, user: 'alice' }), 'application/json'],
      ['JSON null', () => jsonResponse(null), 'application/json'],
      ['a JSON number', () => jsonResponse(42), 'application/json'],
      ['JSON { token } holding a number', () => jsonResponse({ token: 123 }), 'application/json'],
      ['JSON { token } holding an object', () => jsonResponse({ token: { jwt: JWT } }), 'application/json'],
      ['a JWT-looking string that does not decode', () => text('aaaa.bbbb.cccc'), 'text/plain'],
      ['a JWT whose exp is not a number', () => text(makeJwt({ scope: 'user_id:alice', exp: 'soon' })), 'text/plain'],
      [
        'a JWT whose payload is an array',
        () => jsonResponse({ token: makeJwt([1, 2] as unknown as Record<string, unknown>) }),
        'application/json',
      ],
    ])('rejects %s with invalid-response naming the url and content type', async (_, reply, contentType) => {
      const backend = backendReplying(reply())
      const error = asTokenManagerError(await rejectionOf(createTokenSource({ url: URL_, fetch: backend.fetch })(newSignal(), STARTED)))
      expect(error.code).toBe('invalid-response')
      expect(error.message).toBe(`${URL_} sent ${contentType}, not a JWT.`)
      expect(asTokenManagerError(error.cause).code).toBe('invalid-token')
    })

    it('names the url even when the answer has no content type', async () => {
      const backend = backendReplying(new Response(null, { status: 200 }))
      const error = asTokenManagerError(await rejectionOf(createTokenSource({ url: URL_, fetch: backend.fetch })(newSignal(), STARTED)))
      expect(error.code).toBe('invalid-response')
      expect(error.message).toBe(`${URL_} sent no content type, not a JWT.`)
    })
  })

  describe('HTTP errors, end to end through toTokenManagerError', () => {
    it.each([
      [401, 'unauthenticated'],
      [403, 'unauthenticated'],
      [404, 'http'],
      [500, 'http'],
      [503, 'http'],
    ] as const)('maps status %d to %s', async (status, code) => {
      const backend = backendReplying(new Response('denied', { status }))
      const thrown = await rejectionOf(createTokenSource({ url: URL_, fetch: backend.fetch })(newSignal(), STARTED))
      const error = toTokenManagerError(thrown, Date.now())
      expect(error.code).toBe(code)
      expect(error.status).toBe(status)
      expect(error.retryAfter).toBeUndefined()
      expect(error.cause).toBe(thrown)
      expect(error.message).toMatch(/^Token request failed: /)
      expect(error.message).toContain(String(status))
      expect(error.message).toContain(URL_)
    })

    it('maps 429 with Retry-After: 7 to http with retryAfter 7000 ms', async () => {
      const backend = backendReplying(new Response('slow down', { status: 429, headers: { 'retry-after': '7' } }))
      const thrown = await rejectionOf(createTokenSource({ url: URL_, fetch: backend.fetch })(newSignal(), STARTED))
      const error = toTokenManagerError(thrown, Date.now())
      expect(error.code).toBe('http')
      expect(error.status).toBe(429)
      expect(error.retryAfter).toBe(7000)
    })

    it('maps 503 with a Retry-After date to the wait from now', async () => {
      const now = Date.UTC(2025, 0, 1, 12, 0, 0)
      const backend = backendReplying(
        new Response('maintenance', { status: 503, headers: { 'retry-after': 'Wed, 01 Jan 2025 12:02:00 GMT' } }),
      )
      const thrown = await rejectionOf(createTokenSource({ url: URL_, fetch: backend.fetch })(newSignal(), STARTED))
      const error = toTokenManagerError(thrown, now)
      expect(error.code).toBe('http')
      expect(error.status).toBe(503)
      expect(error.retryAfter).toBe(120_000)
    })

    it('maps a fetch that fails to network', async () => {
      const failure = new TypeError('Failed to fetch')
      const backend = backendReplying(failure)
      const thrown = await rejectionOf(createTokenSource({ url: URL_, fetch: backend.fetch })(newSignal(), STARTED))
      const error = toTokenManagerError(thrown, Date.now())
      expect(error.code).toBe('network')
      expect(error.status).toBeUndefined()
      expect(error.message).toBe('Token request failed: Failed to fetch')
    })

    it('passes an invalid-response error through unchanged', async () => {
      const backend = backendReplying(text('<html></html>', 'text/html'))
      const thrown = await rejectionOf(createTokenSource({ url: URL_, fetch: backend.fetch })(newSignal(), STARTED))
      expect(toTokenManagerError(thrown, Date.now())).toBe(thrown)
    })
  })
})

describe('createTokenSource: fetchToken', () => {
  it('passes the same signal to fetchToken', async () => {
    const fetchToken = vi.fn(async (_: { signal: AbortSignal }) => JWT)
    const signal = newSignal()
    await createTokenSource({ fetchToken })(signal, STARTED)
    expect(fetchToken).toHaveBeenCalledTimes(1)
    expect(fetchToken.mock.calls[0]?.[0].signal).toBe(signal)
  })

  it.each<[string, string | { token: string }]>([
    ['a JWT string', JWT],
    ['{ token }', { token: JWT }],
  ])('accepts %s and places it on the local clock by iat', async (_, answer) => {
    const info = await createTokenSource({ fetchToken: async () => answer, request: { timeout: 5000 } })(newSignal(), STARTED - 5_000)
    expect(info.token).toBe(JWT)
    expect(info.userId).toBe('alice')
    expect(info.expiresAt).toBe(ISSUED + 3_595_000)
  })

  it('calls fetchToken once per call', async () => {
    const fetchToken = vi.fn(async () => JWT)
    const source = createTokenSource({ fetchToken })
    await source(newSignal(), STARTED)
    await source(newSignal(), STARTED)
    expect(fetchToken).toHaveBeenCalledTimes(2)
  })

  it.each<[string, unknown]>([
    ['an empty string', ''],
    ['text that is not a JWT', 'not a jwt'],
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['an empty object', {}],
    ['{ jwt } (only url mode reads jwt)', { jwt: JWT }],
    ['{ token } holding garbage', { token: 'a.b' }],
  ])('rejects %s with invalid-response mentioning fetchToken', async (_, answer) => {
    const source = createTokenSource({ fetchToken: async () => answer as string })
    const error = asTokenManagerError(await rejectionOf(source(newSignal(), STARTED)))
    expect(error.code).toBe('invalid-response')
    expect(error.message).toBe('fetchToken() must return a JWT or { token }.')
    expect(asTokenManagerError(error.cause).code).toBe('invalid-token')
  })

  it('lets an error thrown by fetchToken propagate unchanged', async () => {
    const failure = Object.assign(new Error('session expired'), { status: 401 })
    const thrown = await rejectionOf(createTokenSource({ fetchToken: async () => Promise.reject(failure) })(newSignal(), STARTED))
    expect(thrown).toBe(failure)
    const error = toTokenManagerError(thrown, Date.now())
    expect(error.code).toBe('unauthenticated')
    expect(error.status).toBe(401)
    expect(error.message).toBe('Token request failed: session expired')
  })
})

describe('toTokenManagerError', () => {
  const NOW = Date.UTC(2025, 0, 1, 12, 0, 0)

  it.each([
    ['a thrown string', 'boom', 'Token request failed: boom'],
    ['undefined', undefined, 'Token request failed: undefined'],
    ['an Error', new TypeError('Failed to fetch'), 'Token request failed: Failed to fetch'],
  ])('keeps what was thrown in the message: %s', (_, thrown, message) => {
    expect(toTokenManagerError(thrown, NOW)).toMatchObject({ code: 'network', message })
  })

  it('returns a TokenManagerError unchanged', () => {
    const original = new TokenManagerError('invalid-token', 'bad', { status: 200 })
    expect(toTokenManagerError(original, NOW)).toBe(original)
  })

  it('returns a TokenManagerError from another copy of the package unchanged', () => {
    const foreign = Object.assign(new Error('from elsewhere'), { name: 'TokenManagerError', code: 'timeout' })
    expect(toTokenManagerError(foreign, NOW)).toBe(foreign)
  })

  it.each<[string, string, number, unknown]>([
    ['status 401', 'unauthenticated', 401, { status: 401, message: 'x' }],
    ['status 403', 'unauthenticated', 403, { status: 403 }],
    ['response.status 401', 'unauthenticated', 401, { response: { status: 401 } }],
    ['response.status 403', 'unauthenticated', 403, { response: { status: 403, headers: new Headers() } }],
    ['status 400', 'http', 400, { status: 400 }],
    ['status 404', 'http', 404, { status: 404 }],
    ['response.status 500', 'http', 500, { response: { status: 500 } }],
    ['status 502', 'http', 502, Object.assign(new Error('bad gateway'), { status: 502 })],
    ['response.status 401 over status 500', 'unauthenticated', 401, { status: 500, response: { status: 401 } }],
    ['response.status 500 over status 401', 'http', 500, { status: 401, response: { status: 500 } }],
  ])('maps an error with %s to %s', (_, code, status, input) => {
    const error = toTokenManagerError(input, NOW)
    expect(error).toBeInstanceOf(TokenManagerError)
    expect(error.code).toBe(code)
    expect(error.status).toBe(status)
    expect(error.cause).toBe(input)
  })

  it.each<[string, string | undefined, number | undefined]>([
    ['delta seconds "7"', '7', 7000],
    ['delta seconds "120"', '120', 120_000],
    ['"0"', '0', 0],
    ['an HTTP date 30 s ahead', 'Wed, 01 Jan 2025 12:00:30 GMT', 30_000],
    ['an HTTP date in the past', 'Wed, 01 Jan 2025 11:59:00 GMT', 0],
    ['an unreadable value', 'soon', undefined],
    ['no header', undefined, undefined],
  ])('reads Retry-After as %s', (_, header, expected) => {
    const headers = new Headers(header === undefined ? {} : { 'retry-after': header })
    const error = toTokenManagerError({ response: { status: 429, headers } }, NOW)
    expect(error.code).toBe('http')
    expect(error.status).toBe(429)
    expect(error.retryAfter).toBe(expected)
  })

  it.each([
    ['an hour ahead', NOW + 3_600_000],
    ['an hour behind', NOW - 3_600_000],
  ])('counts an HTTP-date Retry-After from the Date header, with the local clock %s', (_, localNow) => {
    const headers = new Headers({ date: 'Wed, 01 Jan 2025 12:00:00 GMT', 'retry-after': 'Wed, 01 Jan 2025 12:00:30 GMT' })
    expect(toTokenManagerError({ response: { status: 503, headers } }, localNow).retryAfter).toBe(30_000)
  })

  it('ignores Retry-After on an error without response headers', () => {
    expect(toTokenManagerError({ status: 503 }, NOW).retryAfter).toBeUndefined()
  })

  it('maps a failed fetch to network and keeps the message', () => {
    const failure = new TypeError('Failed to fetch')
    const error = toTokenManagerError(failure, NOW)
    expect(error.code).toBe('network')
    expect(error.status).toBeUndefined()
    expect(error.retryAfter).toBeUndefined()
    expect(error.cause).toBe(failure)
    expect(error.message).toBe('Token request failed: Failed to fetch')
    expect(error.name).toBe('TokenManagerError')
  })

  it.each<[string, unknown]>([
    ['a thrown string', 'boom'],
    ['undefined', undefined],
    ['null', null],
    ['an object without status', { reason: 'offline' }],
    ['status 0 (an opaque failure)', { status: 0 }],
    ['a non-positive status', { response: { status: -1 } }],
  ])('maps %s to network and keeps it as cause', (_, input) => {
    const error = toTokenManagerError(input, NOW)
    expect(error).toBeInstanceOf(TokenManagerError)
    expect(error.code).toBe('network')
    expect(error.cause).toBe(input)
    expect(error.message).toMatch(/^Token request failed:/)
  })
})
