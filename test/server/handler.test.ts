import { createServer, IncomingMessage, ServerResponse, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { IssueTokenError } from '../../src/server/errors'
import { createTokenHandler, toNodeHandler } from '../../src/server/handler'
import type { NodeContext, TokenHandlerOptions } from '../../src/server/handler'
import { decodeToken } from '../../src/token'
import { startCourierApiStub, STUB_API_KEY as KEY, type CourierApiStub } from '../helpers/courier-api-stub'
import { makeJwt } from '../helpers/jwt'

const SESSION = 'x-test-session'
const URL_ = 'http://app.test/api/courier-token'
const T0 = Date.UTC(2030, 0, 1, 12, 0, 0)
const MINUTE = 60_000

let stub: CourierApiStub

beforeAll(async () => {
  stub = await startCourierApiStub()
})
afterAll(() => stub.close())
beforeEach(() => stub.reset())

afterEach(() => {
  vi.useRealTimers()
})

type Options = Partial<TokenHandlerOptions<unknown>>

/** A handler that reads the user from the x-test-session header only. */
const handlerWith = (options: Options = {}) =>
  createTokenHandler({
    apiKey: KEY,
    baseUrl: stub.baseUrl,
    getUserId: (request) => request.headers.get(SESSION),
    ...options,
  } as TokenHandlerOptions<unknown>)

const request = (user?: string, init: RequestInit = {}, url = URL_) =>
  new Request(url, {
    ...init,
    headers: { ...(user === undefined ? {} : { [SESSION]: user }), ...(init.headers as Record<string, string> | undefined) },
  })

const json = async (response: Response) => (await response.json()) as Record<string, unknown>

const tokenFor = async (handler: ReturnType<typeof handlerWith>, user: string) => {
  const response = await handler(request(user))
  expect(response.status).toBe(200)
  return (await json(response)).token as string
}

const scopesSent = () => stub.requests.map((each) => (each.body as { scope: string }).scope)

describe('createTokenHandler: who the token is for', () => {
  it.each<[string, Request]>([
    ['no session', request()],
    ['an empty session', request('')],
    ['a userId in the query and no session', request(undefined, {}, `${URL_}?userId=mallory`)],
    [
      'a userId in a POST body and no session',
      request(undefined, { method: 'POST', body: '{"userId":"mallory"}', headers: { 'content-type': 'application/json' } }),
    ],
  ])('answers 401 unauthenticated for %s, without calling Courier', async (_, incoming) => {
    const response = await handlerWith()(incoming)
    expect(response.status).toBe(401)
    expect(await json(response)).toEqual({ error: 'unauthenticated' })
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(stub.requests).toHaveLength(0)
  })

  it('answers 200 { token, expiresAt, expiresIn } for the session user, with no-store, JSON and the server date', async () => {
    const response = await handlerWith()(request('alice'))
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.headers.get('cache-control')).toBe('no-store')
    const date = Date.parse(response.headers.get('date') ?? '')
    expect(Math.abs(date - Date.now())).toBeLessThan(2_000)
    const body = await json(response)
    expect(Object.keys(body).sort()).toEqual(['expiresAt', 'expiresIn', 'token'])
    const info = decodeToken(body.token as string)
    expect(info.userId).toBe('alice')
    expect(info.scopes).toEqual(['user_id:alice', 'inbox:read:messages', 'inbox:write:events'])
    expect(body.expiresAt).toBe(info.expiresAt)
    // Whole seconds, rounded down: exp is a whole second, up to a second after now.
    expect(body.expiresIn).toBeGreaterThanOrEqual(3598)
    expect(body.expiresIn).toBeLessThanOrEqual(3600)
    expect(stub.requests).toHaveLength(1)
    expect(stub.requests[0]?.headers.authorization).toBe('Bearer sk_test_valid')
    expect(stub.requests[0]?.body).toEqual({ scope: 'user_id:alice inbox:read:messages inbox:write:events', expires_in: '3600s' })
  })

  it.each<[string, Request]>([
    ['a query userId', request('alice', {}, `${URL_}?userId=mallory`)],
    ['a POST body userId', request('alice', { method: 'POST', body: '{"userId":"mallory"}' })],
  ])('issues for the session user and ignores %s', async (_, incoming) => {
    const response = await handlerWith()(incoming)
    expect(response.status).toBe(200)
    expect(decodeToken((await json(response)).token as string).userId).toBe('alice')
    expect(scopesSent()).toEqual(['user_id:alice inbox:read:messages inbox:write:events'])
  })

  it('waits for an async getUserId', async () => {
    const handler = handlerWith({ getUserId: async () => 'carol' })
    expect(decodeToken(await tokenFor(handler, 'ignored')).userId).toBe('carol')
  })

  it.each(['PUT', 'DELETE', 'PATCH'])('answers %s with 405 and allow: GET, POST', async (method) => {
    const getUserId = vi.fn(() => 'alice')
    const response = await handlerWith({ getUserId })(request('alice', { method }))
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, POST')
    expect(await json(response)).toEqual({ error: 'method-not-allowed' })
    expect(getUserId).not.toHaveBeenCalled()
    expect(stub.requests).toHaveLength(0)
  })
})

describe('createTokenHandler: cache', () => {
  it('reuses one token for two sequential requests from one user', async () => {
    const handler = handlerWith()
    const first = await tokenFor(handler, 'alice')
    const second = await tokenFor(handler, 'alice')
    expect(second).toBe(first)
    expect(stub.requests).toHaveLength(1)
  })

  it('issues a separate token per user', async () => {
    const handler = handlerWith()
    const alice = await tokenFor(handler, 'alice')
    const bob = await tokenFor(handler, 'bob')
    expect(decodeToken(alice).userId).toBe('alice')
    expect(decodeToken(bob).userId).toBe('bob')
    expect(scopesSent()).toEqual([
      'user_id:alice inbox:read:messages inbox:write:events',
      'user_id:bob inbox:read:messages inbox:write:events',
    ])
  })

  it('issues with the handler’s features and scopes', async () => {
    const handler = handlerWith({ features: ['inbox', 'push'], scopes: ['read:brands'] })
    const token = await tokenFor(handler, 'alice')
    const scope = 'user_id:alice inbox:read:messages inbox:write:events write:user-tokens read:brands'
    expect(decodeToken(token).scopes).toEqual(scope.split(' '))
    expect(scopesSent()).toEqual([scope])
  })

  it('keeps tokens of handlers with different features apart', async () => {
    const inbox = handlerWith()
    const push = handlerWith({ features: ['push'] })
    expect(decodeToken(await tokenFor(inbox, 'alice')).scopes).toEqual(['user_id:alice', 'inbox:read:messages', 'inbox:write:events'])
    expect(decodeToken(await tokenFor(push, 'alice')).scopes).toEqual(['user_id:alice', 'write:user-tokens'])
    expect(stub.requests).toHaveLength(2)
  })

  it.each<[string, Options, number, number]>([
    ['the default: 80% of 1h', {}, 48 * MINUTE, 3600],
    ['the default: 80% of 20m', { expiresIn: '20m' }, 16 * MINUTE, 1200],
    ['minRemaining 5 min', { cache: { minRemaining: 5 * MINUTE } }, 5 * MINUTE, 3600],
  ])('reuses a token while it has at least minRemaining left (%s)', async (_, options, minRemaining, lifetime) => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(T0)
    const handler = handlerWith(options)
    const first = await tokenFor(handler, 'alice')
    expect(decodeToken(first).expiresAt).toBe(T0 + lifetime * 1000)

    vi.setSystemTime(T0 + lifetime * 1000 - minRemaining) // exactly minRemaining left
    expect(await tokenFor(handler, 'alice')).toBe(first)
    expect(stub.requests).toHaveLength(1)

    vi.setSystemTime(T0 + lifetime * 1000 - minRemaining + 1000) // a second less
    const second = await tokenFor(handler, 'alice')
    expect(second).not.toBe(first)
    expect(stub.requests).toHaveLength(2)
    expect(await tokenFor(handler, 'alice')).toBe(second)
    expect(stub.requests).toHaveLength(2)
  })

  it('answers a reused token’s expiresIn as the seconds it has left, rounded down', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(T0)
    const handler = handlerWith()
    const answerAt = async (time: number) => {
      vi.setSystemTime(time)
      return (await json(await handler(request('alice')))) as { token: string; expiresIn: number }
    }
    const first = await answerAt(T0)
    expect(first.expiresIn).toBe(3600)
    const reused = await answerAt(T0 + 9 * MINUTE + 500)
    expect(reused.token).toBe(first.token)
    expect(reused.expiresIn).toBe(3600 - 9 * 60 - 1)
  })

  it('answers no expiresIn for a token without exp', async () => {
    stub.next(200, { token: makeJwt({ scope: 'user_id:alice inbox:read:messages inbox:write:events', iat: 1 }) })
    const body = await json(await handlerWith()(request('alice')))
    expect(Object.keys(body).sort()).toEqual(['token'])
  })

  it('gives a refreshing browser a new token: its manager refreshes with at most three quarters of the life left', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(T0)
    const handler = handlerWith({ expiresIn: '10s' })
    const first = await tokenFor(handler, 'alice')
    // The earliest the manager refreshes a 10-second token: a quarter of its life in.
    vi.setSystemTime(T0 + 2_500)
    expect(await tokenFor(handler, 'alice')).not.toBe(first)
  })

  it('issues a new token for every request with cache: false', async () => {
    const handler = handlerWith({ cache: false })
    const tokens = [await tokenFor(handler, 'alice'), await tokenFor(handler, 'alice'), await tokenFor(handler, 'alice')]
    expect(new Set(tokens).size).toBe(3)
    expect(stub.requests).toHaveLength(3)
  })

  it.each<[string[], number]>([
    [['a', 'b', 'a'], 2],
    [['a', 'b', 'c', 'a'], 4],
    [['a', 'b', 'c', 'c', 'b'], 3],
  ])('with maxEntries 2, users %j take %d Courier calls', async (users, calls) => {
    const handler = handlerWith({ cache: { maxEntries: 2 } })
    for (const user of users) expect(decodeToken(await tokenFor(handler, user)).userId).toBe(user)
    expect(stub.requests).toHaveLength(calls)
  })

  it('does not cache a token without exp', async () => {
    stub.next(200, { token: makeJwt({ scope: 'user_id:alice inbox:read:messages inbox:write:events', iat: 1 }) })
    const handler = handlerWith()
    await tokenFor(handler, 'alice')
    await tokenFor(handler, 'alice')
    expect(stub.requests).toHaveLength(2)
  })

  it('does not cache a failure: the next request calls Courier again', async () => {
    const handler = handlerWith({ onError: () => {} })
    stub.next(503, { message: 'down' })
    expect((await handler(request('alice'))).status).toBe(502)
    expect(decodeToken(await tokenFor(handler, 'alice')).userId).toBe('alice')
    expect(stub.requests).toHaveLength(2)
  })
})

describe('createTokenHandler: single flight', () => {
  it('makes one Courier call per user for 100 concurrent requests from 10 users, and prints nothing', async () => {
    const printed = [vi.spyOn(console, 'log'), vi.spyOn(console, 'warn'), vi.spyOn(console, 'error')]
    stub.setDelay(30)
    const handler = handlerWith()
    const users = Array.from({ length: 100 }, (_, index) => `user-${index % 10}`)
    const responses = await Promise.all(users.map((user) => handler(request(user))))

    expect(stub.requests).toHaveLength(10)
    expect(responses.map((response) => response.status)).toEqual(users.map(() => 200))
    const tokens = new Map<string, Set<string>>()
    for (const [index, response] of responses.entries()) {
      const user = users[index]!
      const token = (await json(response)).token as string
      expect(decodeToken(token).userId).toBe(user)
      tokens.set(user, (tokens.get(user) ?? new Set()).add(token))
    }
    expect(tokens.size).toBe(10)
    for (const set of tokens.values()) expect(set.size).toBe(1)
    for (const spy of printed) expect(spy).not.toHaveBeenCalled()
  })

  it('shares one call between concurrent requests even with cache: false', async () => {
    stub.setDelay(30)
    const handler = handlerWith({ cache: false })
    const responses = await Promise.all([1, 2, 3].map(() => handler(request('alice'))))
    const tokens = await Promise.all(responses.map(async (response) => (await json(response)).token))
    expect(new Set(tokens).size).toBe(1)
    expect(stub.requests).toHaveLength(1)
  })

  it('does not keep sharing a hung call past the timeout, even with a fetch that drops the abort signal', async () => {
    let calls = 0
    // e.g. a tracing wrapper that forwards method, headers and body but not the signal
    const fetch = vi.fn<typeof globalThis.fetch>((input, init) => {
      calls += 1
      if (calls === 1) return new Promise<Response>(() => {})
      const { signal: _dropped, ...rest } = init ?? {}
      return globalThis.fetch(input, rest)
    })
    const handler = handlerWith({ fetch, timeout: 50, onError: () => {} })
    const hung = await Promise.all([handler(request('alice')), handler(request('alice'))])
    expect(hung.map((response) => response.status)).toEqual([502, 502])
    expect(decodeToken(await tokenFor(handler, 'alice')).userId).toBe('alice')
    expect(fetch).toHaveBeenCalledTimes(2)
  }, 3_000)

  it('shares one failure between concurrent requests', async () => {
    stub.setDelay(30)
    stub.next(503, {})
    const onError = vi.fn()
    const handler = handlerWith({ onError })
    const responses = await Promise.all([1, 2, 3].map(() => handler(request('alice'))))
    expect(responses.map((response) => response.status)).toEqual([502, 502, 502])
    expect(stub.requests).toHaveLength(1)
    expect(onError).toHaveBeenCalledTimes(3)
  })
})

describe('createTokenHandler: failures the browser sees', () => {
  interface Failure {
    options?: Options
    user?: string
    setup?: () => void
    status: number
    error: string
    retryAfter?: string
    calls: number
  }

  it.each<[string, Failure]>([
    [
      'Courier refusing the API key (never a 401: that would sign the user out)',
      { options: { apiKey: 'sk_test_wrong' }, status: 500, error: 'unauthorized', calls: 1 },
    ],
    [
      'Courier rate limiting with Retry-After 7',
      { setup: () => stub.next(429, {}, { 'retry-after': '7' }), status: 503, error: 'rate-limited', retryAfter: '7', calls: 1 },
    ],
    [
      'Courier rate limiting without Retry-After',
      { setup: () => stub.next(429, {}), status: 503, error: 'rate-limited', retryAfter: '30', calls: 1 },
    ],
    [
      'Courier rate limiting with Retry-After of a day (passed on capped at an hour)',
      { setup: () => stub.next(429, {}, { 'retry-after': '86400' }), status: 503, error: 'rate-limited', retryAfter: '3600', calls: 1 },
    ],
    [
      'Courier answering a token for another user',
      {
        setup: () => stub.next(200, { token: makeJwt({ scope: 'user_id:mallory inbox:read:messages', exp: 1_900_003_600 }) }),
        status: 502,
        error: 'invalid-response',
        calls: 1,
      },
    ],
    ['Courier answering 503', { setup: () => stub.next(503, { message: 'down' }), status: 502, error: 'unavailable', calls: 1 }],
    ['Courier answering 200 without a token', { setup: () => stub.next(200, {}), status: 502, error: 'invalid-response', calls: 1 }],
    ['Courier answering 400', { setup: () => stub.next(400, { message: 'bad' }), status: 500, error: 'rejected', calls: 1 }],
    ['a session user id with a space', { user: 'alice inbox:write:messages', status: 500, error: 'invalid-input', calls: 0 }],
  ])(
    'answers the right status and error for %s, and reports it',
    async (_, { options = {}, user = 'alice', setup, status, error: code, retryAfter, calls }) => {
      setup?.()
      const onError = vi.fn()
      const response = await handlerWith({ ...options, onError })(request(user))
      expect(response.status).toBe(status)
      const text = await response.text()
      expect(JSON.parse(text)).toEqual({ error: code })
      expect(text).not.toContain('sk_test')
      expect(response.headers.get('cache-control')).toBe('no-store')
      expect(response.headers.get('retry-after')).toBe(retryAfter ?? null)
      expect(stub.requests).toHaveLength(calls)
      expect(onError).toHaveBeenCalledTimes(1)
      const [error] = onError.mock.calls[0] as [IssueTokenError]
      expect(error).toBeInstanceOf(IssueTokenError)
      expect(error.code).toBe(code)
    },
  )

  it('answers 500 internal when getUserId throws, reports it and calls nobody', async () => {
    const boom = new Error('session store down')
    const onError = vi.fn()
    const response = await handlerWith({ getUserId: () => Promise.reject(boom), onError })(request('alice'))
    expect(response.status).toBe(500)
    expect(await json(response)).toEqual({ error: 'internal' })
    expect(onError).toHaveBeenCalledExactlyOnceWith(boom)
    expect(stub.requests).toHaveLength(0)
  })

  it.each<[string, Options, number]>([
    [
      'getUserId throws',
      {
        getUserId: () => {
          throw new Error('nope')
        },
      },
      500,
    ],
    ['Courier answers 503', {}, 502],
  ])('keeps its answer when onError itself throws (%s)', async (_, options, status) => {
    stub.next(503, {})
    const onError = vi.fn(() => {
      throw new Error('logger broke')
    })
    const response = await handlerWith({ ...options, onError })(request('alice'))
    expect(response.status).toBe(status)
    expect(onError).toHaveBeenCalledTimes(1)
  })

  it('logs failures with console.error by default', async () => {
    const error = vi.spyOn(console, 'error').mockImplementation(() => {})
    stub.next(503, {})
    expect((await handlerWith()(request('alice'))).status).toBe(502)
    expect(error).toHaveBeenCalledTimes(1)
    expect((error.mock.calls[0]![0] as IssueTokenError).code).toBe('unavailable')
  })
})

describe('createTokenHandler: options checked when it is created', () => {
  it('throws a TypeError without getUserId', () => {
    expect(() => createTokenHandler({ apiKey: KEY } as TokenHandlerOptions<unknown>)).toThrow(
      new TypeError('getUserId is required: it returns the signed-in user from your session.'),
    )
  })

  it.each<[string, Options, string]>([
    ['an unknown scope', { scopes: ['admin'] }, 'Refusing scope "admin"'],
    ['an unknown feature', { features: ['chat' as 'inbox'] }, 'Unknown feature "chat"'],
    ['expiresIn "abc"', { expiresIn: 'abc' }, 'Refusing expiresIn "abc"'],
    ['expiresIn "500ms"', { expiresIn: '500ms' }, 'Refusing expiresIn "500ms"'],
    ['expiresIn 0', { expiresIn: 0 }, 'Refusing expiresIn 0'],
    ['timeout 0', { timeout: 0 }, 'Refusing timeout 0'],
    ['a baseUrl without a scheme', { baseUrl: 'api.courier.com' }, 'Refusing baseUrl "api.courier.com"'],
    ['an unknown region', { baseUrl: undefined as unknown as string, region: 'mars' as 'us' }, 'Unknown region "mars"'],
    ['timeout Infinity', { timeout: Infinity }, 'Refusing timeout Infinity'],
    ['cache.minRemaining below 0 (it would serve expired tokens)', { cache: { minRemaining: -1 } }, 'Refusing cache.minRemaining -1'],
    [
      'cache.minRemaining of the whole lifetime',
      { expiresIn: '1h', cache: { minRemaining: 3_600_000 } },
      'Refusing cache.minRemaining 3600000: use milliseconds from 0 to under the lifetime (3600000)',
    ],
    ['cache.minRemaining NaN', { cache: { minRemaining: NaN } }, 'Refusing cache.minRemaining NaN'],
    ['cache.maxEntries 0', { cache: { maxEntries: 0 } }, 'Refusing cache.maxEntries 0'],
    ['expiresIn past a year', { expiresIn: '999999 days' }, 'Refusing expiresIn "999999 days"'],
  ])('throws invalid-input for %s', (_, options, message) => {
    let caught: unknown
    try {
      handlerWith(options)
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(IssueTokenError)
    expect((caught as IssueTokenError).code).toBe('invalid-input')
    expect((caught as IssueTokenError).message).toContain(message)
    expect(stub.requests).toHaveLength(0)
  })
})

describe('toNodeHandler', () => {
  let server: Server
  let base: string
  const contexts: NodeContext[] = []

  const cookie = (header: string | undefined, name: string) =>
    header
      ?.split(/;\s*/)
      .find((part) => part.startsWith(`${name}=`))
      ?.slice(name.length + 1)

  beforeAll(async () => {
    const handler = createTokenHandler<NodeContext>({
      apiKey: KEY,
      baseUrl: stub.baseUrl,
      getUserId: (_request, context) => {
        contexts.push(context)
        return cookie(context.req.headers.cookie, 'session')
      },
    })
    const nodeHandler = toNodeHandler(handler)
    server = createServer((req, res) => {
      if (req.url === '/broken') return toNodeHandler(() => Promise.reject(new Error('boom')))(req, res)
      nodeHandler(req, res)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  beforeEach(() => {
    contexts.length = 0
  })

  it('answers node:http with the status, JSON body and headers, reading the user from context.req', async () => {
    const response = await fetch(`${base}/api/courier-token?userId=mallory`, { headers: { cookie: 'theme=dark; session=alice' } })
    expect(response.status).toBe(200)
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(response.headers.get('cache-control')).toBe('no-store')
    expect(Math.abs(Date.parse(response.headers.get('date') ?? '') - Date.now())).toBeLessThan(2_000)
    const body = (await response.json()) as { token: string; expiresAt: number }
    expect(decodeToken(body.token).userId).toBe('alice')
    expect(body.expiresAt).toBe(decodeToken(body.token).expiresAt)
    expect(contexts).toHaveLength(1)
    expect(contexts[0]?.req).toBeInstanceOf(IncomingMessage)
    expect(contexts[0]?.res).toBeInstanceOf(ServerResponse)
    expect(contexts[0]?.req.url).toBe('/api/courier-token?userId=mallory')
    expect(stub.requests).toHaveLength(1)
  })

  it('answers 401 without the session cookie, whatever the body says', async () => {
    const response = await fetch(`${base}/api/courier-token`, {
      method: 'POST',
      body: '{"userId":"mallory"}',
      headers: { 'content-type': 'application/json' },
    })
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ error: 'unauthenticated' })
    expect(stub.requests).toHaveLength(0)
  })

  it('answers 405 with the allow header', async () => {
    const response = await fetch(`${base}/api/courier-token`, { method: 'DELETE', headers: { cookie: 'session=alice' } })
    expect(response.status).toBe(405)
    expect(response.headers.get('allow')).toBe('GET, POST')
    expect(stub.requests).toHaveLength(0)
  })

  it.each([
    ['a method the Request constructor refuses', 'TRACE /api/courier-token HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'],
    ['a Host header that is not a host', 'GET /api/courier-token HTTP/1.1\r\nHost: a b\r\n\r\n'],
  ])('answers 500 to %s instead of crashing the server', async (_, raw) => {
    const { connect } = await import('node:net')
    const { port } = server.address() as AddressInfo
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.end(raw))
      let text = ''
      socket.on('data', (chunk) => (text += chunk))
      socket.on('end', () => resolve(text))
      socket.on('error', reject)
    })
    expect(reply).toMatch(/^HTTP\/1\.1 (400|500) /)
    // Still serving.
    expect((await fetch(`${base}/api/courier-token`)).status).toBe(401)
  })

  it('answers under node:http2, whose requests carry pseudo-headers (:path, :method) that Headers refuses', async () => {
    const { connect, createServer: createHttp2Server } = await import('node:http2')
    const h2 = createHttp2Server(
      toNodeHandler(
        createTokenHandler<NodeContext>({
          apiKey: KEY,
          baseUrl: stub.baseUrl,
          getUserId: (request) => cookie(request.headers.get('cookie') ?? undefined, 'session'),
        }),
      ) as unknown as Parameters<typeof createHttp2Server>[0],
    )
    await new Promise<void>((resolve) => h2.listen(0, '127.0.0.1', resolve))
    const client = connect(`http://127.0.0.1:${(h2.address() as AddressInfo).port}`)
    try {
      const { status, body } = await new Promise<{ status: unknown; body: string }>((resolve, reject) => {
        const stream = client.request({ ':path': '/api/courier-token', cookie: 'session=alice' })
        let status: unknown
        let body = ''
        stream.on('response', (headers) => (status = headers[':status']))
        stream.on('data', (chunk) => (body += chunk))
        stream.on('end', () => resolve({ status, body }))
        stream.on('error', reject)
        stream.end()
      })
      expect(status).toBe(200)
      expect(decodeToken((JSON.parse(body) as { token: string }).token).userId).toBe('alice')
    } finally {
      client.close()
      await new Promise((resolve) => h2.close(resolve))
    }
  })

  it('answers 500 to a header value Headers refuses (a lenient parser let it through) instead of throwing from the listener', async () => {
    const res = { headersSent: false, writableEnded: false, writeHead: vi.fn(), end: vi.fn() }
    const req = { url: '/api/courier-token', method: 'GET', headers: { host: 'app.test', 'x-odd': 'a\0b' } }
    expect(() => toNodeHandler(vi.fn())(req as unknown as IncomingMessage, res as unknown as ServerResponse)).not.toThrow()
    await vi.waitFor(() => expect(res.end).toHaveBeenCalled())
    expect(res.writeHead).toHaveBeenCalledExactlyOnceWith(500)
  })

  it('answers 500 with an empty body when the handler rejects and there is no next', async () => {
    const response = await fetch(`${base}/broken`)
    expect(response.status).toBe(500)
    expect(await response.text()).toBe('')
  })

  it('leaves alone a response getUserId already sent (a redirect to log in), without an unhandled rejection', async () => {
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown) => unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    const redirecting = createServer(
      toNodeHandler(
        createTokenHandler<NodeContext>({
          apiKey: KEY,
          baseUrl: stub.baseUrl,
          getUserId: (_request, { res }) => {
            res.writeHead(302, { location: '/login' }).end()
            return undefined
          },
        }),
      ),
    )
    try {
      await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve))
      const response = await fetch(`http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/api/courier-token`, {
        redirect: 'manual',
      })
      expect(response.status).toBe(302)
      expect(response.headers.get('location')).toBe('/login')
      await new Promise((resolve) => setTimeout(resolve, 50))
      // Without a listener, Node would have crashed the whole server on this rejection.
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
      redirecting.closeAllConnections()
      await new Promise((resolve) => redirecting.close(resolve))
    }
  })

  it('passes a rejection to next when given one, and writes nothing', async () => {
    const boom = new Error('boom')
    const next = vi.fn()
    const res = { writeHead: vi.fn(), end: vi.fn() }
    res.writeHead.mockReturnValue(res)
    const req = { url: '/api/courier-token', method: 'GET', headers: { host: 'app.test', cookie: 'session=alice' } }
    const handler = vi.fn((_request: Request, _context: NodeContext) => Promise.reject(boom))
    toNodeHandler(handler)(req as unknown as IncomingMessage, res as unknown as ServerResponse, next)
    await vi.waitFor(() => expect(next).toHaveBeenCalledExactlyOnceWith(boom))
    expect(res.writeHead).not.toHaveBeenCalled()
    expect(res.end).not.toHaveBeenCalled()
    const [request, context] = handler.mock.calls[0]!
    expect(request.url).toBe('http://app.test/api/courier-token')
    expect(request.headers.get('cookie')).toBe('session=alice')
    expect(context.req).toBe(req)
    expect(context.res).toBe(res)
  })
})
