import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { IssueTokenError } from '../../src/server/errors'
import { COURIER_API_URLS, DEFAULT_EXPIRES_IN, issueCourierToken, MAX_EXPIRES_IN } from '../../src/server/issue-token'
import type { IssueCourierTokenOptions } from '../../src/server/issue-token'
import { decodeToken } from '../../src/token'
import { startCourierApiStub, STUB_API_KEY as KEY, type CourierApiStub } from '../helpers/courier-api-stub'
import { courierJwt, makeJwt } from '../helpers/jwt'

const WRONG_KEY = 'sk_test_wrong'
const INBOX = 'user_id:alice inbox:read:messages inbox:write:events'

let stub: CourierApiStub

beforeAll(async () => {
  stub = await startCourierApiStub()
})
afterAll(() => stub.close())
beforeEach(() => stub.reset())

const issue = (options: Partial<IssueCourierTokenOptions> = {}) =>
  issueCourierToken({ apiKey: KEY, userId: 'alice', baseUrl: stub.baseUrl, ...options } as IssueCourierTokenOptions)

/** The IssueTokenError `options` fail with, checked to never carry the API key used. */
async function failure(options: Partial<IssueCourierTokenOptions> = {}): Promise<IssueTokenError> {
  const apiKey = options.apiKey ?? KEY
  let caught: unknown
  try {
    await issue(options)
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(IssueTokenError)
  const error = caught as IssueTokenError
  expect(error.name).toBe('IssueTokenError')
  if (typeof apiKey === 'string' && apiKey.trim()) {
    for (const text of [String(error), error.message, JSON.stringify(error), error.stack ?? '']) expect(text).not.toContain(apiKey)
  }
  return error
}

const tokenResponse = (token: string) =>
  new Response(JSON.stringify({ token }), { status: 200, headers: { 'content-type': 'application/json' } })

describe('issueCourierToken: the request', () => {
  it('posts the default scope and a one-hour expires_in to /auth/issue-token with the Bearer key', async () => {
    expect(DEFAULT_EXPIRES_IN).toBe('1h')
    await issue()
    expect(stub.requests).toHaveLength(1)
    const [request] = stub.requests
    expect(request?.method).toBe('POST')
    expect(request?.path).toBe('/auth/issue-token')
    expect(request?.headers.authorization).toBe('Bearer sk_test_valid')
    expect(request?.headers['content-type']).toBe('application/json')
    expect(request?.headers.accept).toBe('application/json')
    expect(request?.body).toEqual({ scope: INBOX, expires_in: '3600s' })
  })

  it('returns the token, its expiry in ms and the scope', async () => {
    const result = await issue()
    expect(Object.keys(result).sort()).toEqual(['expiresAt', 'scope', 'token'])
    const info = decodeToken(result.token)
    expect(info.claims.scope).toBe(INBOX)
    expect(result.expiresAt).toBe((info.claims.exp as number) * 1000)
    expect(result.expiresAt! - Date.now()).toBeGreaterThan(3_590_000)
    expect(result.expiresAt! - Date.now()).toBeLessThanOrEqual(3_600_000)
    expect(result.scope).toBe(INBOX)
    expect(JSON.parse(stub.requests[0]?.responseBody ?? '{}')).toEqual({ token: result.token })
  })

  it.each<[string | number, string]>([
    ['1h', '3600s'],
    ['20m', '1200s'],
    [90, '90s'],
    ['45', '45s'],
    ['2 days', '172800s'],
    ['1500ms', '2s'],
  ])('sends expiresIn %j as expires_in %j', async (expiresIn, expires_in) => {
    await issue({ expiresIn })
    expect(stub.requests.map((request) => request.body)).toEqual([{ scope: INBOX, expires_in }])
  })

  it('sends the features and extra scopes in the scope', async () => {
    const result = await issue({ userId: 'bob', features: ['preferences', 'push'], scopes: ['read:brands:brand-1'] })
    const scope = 'user_id:bob read:preferences write:preferences write:user-tokens read:brands:brand-1'
    expect(stub.requests[0]?.body).toEqual({ scope, expires_in: '3600s' })
    expect(result.scope).toBe(scope)
    expect(decodeToken(result.token).scopes).toEqual(scope.split(' '))
  })

  it.each(['/', '///'])('handles a baseUrl ending in %j', async (suffix) => {
    await issue({ baseUrl: `${stub.baseUrl}${suffix}` })
    expect(stub.requests.map((request) => request.path)).toEqual(['/auth/issue-token'])
  })

  it.each<[IssueCourierTokenOptions['region'], string]>([
    [undefined, 'https://api.courier.com/auth/issue-token'],
    ['us', 'https://api.courier.com/auth/issue-token'],
    ['eu', 'https://api.eu.courier.com/auth/issue-token'],
  ])('calls Courier in the region %j at %s', async (region, url) => {
    const fetch = vi.fn<typeof globalThis.fetch>(async () => tokenResponse(courierJwt()))
    await issueCourierToken({ apiKey: KEY, userId: 'alice', fetch, ...(region ? { region } : {}) })
    expect(fetch).toHaveBeenCalledTimes(1)
    expect(fetch.mock.calls[0]?.[0]).toBe(url)
    expect(fetch.mock.calls[0]?.[1]).toMatchObject({ method: 'POST', body: JSON.stringify({ scope: INBOX, expires_in: '3600s' }) })
    expect(COURIER_API_URLS).toEqual({ us: 'https://api.courier.com', eu: 'https://api.eu.courier.com' })
  })

  it('prefers baseUrl over the region', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(async () => tokenResponse(courierJwt()))
    await issueCourierToken({ apiKey: KEY, userId: 'alice', region: 'eu', baseUrl: 'https://proxy.example/courier/', fetch })
    expect(fetch.mock.calls[0]?.[0]).toBe('https://proxy.example/courier/auth/issue-token')
  })
})

describe('issueCourierToken: input refused before any request', () => {
  it('takes expiresIn up to MAX_EXPIRES_IN, a year', async () => {
    expect(MAX_EXPIRES_IN).toBe('365d')
    await issue({ expiresIn: MAX_EXPIRES_IN })
    expect((stub.requests[0]!.body as { expires_in: string }).expires_in).toBe(`${365 * 86_400}s`)
  })

  it.each<[string, Partial<IssueCourierTokenOptions>, string]>([
    ['a user id with a smuggled scope', { userId: 'alice inbox:write:messages' }, 'Refusing user id "alice inbox:write:messages"'],
    ['a user id with a newline', { userId: 'alice\ninbox:read:messages' }, 'Refusing user id'],
    ['an empty user id', { userId: '' }, 'Refusing user id ""'],
    ['a user id that is not a string', { userId: 5 as unknown as string }, 'Refusing user id 5'],
    ['an unknown scope', { scopes: ['inbox:write:messages'] }, 'Refusing scope "inbox:write:messages"'],
    ['a user_id scope', { scopes: ['user_id:bob'] }, 'Refusing scope "user_id:bob"'],
    ['an unknown feature', { features: ['chat' as 'inbox'] }, 'Unknown feature "chat"'],
    ['expiresIn "abc"', { expiresIn: 'abc' }, 'Refusing expiresIn "abc"'],
    ['expiresIn "0s"', { expiresIn: '0s' }, 'Refusing expiresIn "0s"'],
    ['expiresIn "500ms"', { expiresIn: '500ms' }, 'Refusing expiresIn "500ms"'],
    ['expiresIn -5', { expiresIn: -5 }, 'Refusing expiresIn -5'],
    ['expiresIn 1e20 (seconds)', { expiresIn: 1e20 }, 'Refusing expiresIn 100000000000000000000: use a duration from a second to a year'],
    ['expiresIn "999999 days"', { expiresIn: '999999 days' }, 'Refusing expiresIn "999999 days"'],
    ['expiresIn "366d", past MAX_EXPIRES_IN', { expiresIn: '366d' }, 'Refusing expiresIn "366d"'],
    ['a missing apiKey', { apiKey: undefined as unknown as string }, 'apiKey is missing'],
    ['an empty apiKey', { apiKey: '' }, 'apiKey is missing'],
    ['a blank apiKey', { apiKey: '   ' }, 'apiKey is missing'],
  ])('refuses %s with invalid-input', async (_, options, message) => {
    const error = await failure(options)
    expect(error.code).toBe('invalid-input')
    expect(error.status).toBeUndefined()
    expect(error.message).toContain(message)
    expect(stub.requests).toHaveLength(0)
  })

  it.each([0, -1, NaN, Infinity])('refuses the timeout %s with invalid-input, not as Courier unavailable', async (timeout) => {
    const fetch = vi.fn<typeof globalThis.fetch>(async () => tokenResponse(courierJwt()))
    const error = await failure({ timeout, fetch })
    expect(error.code).toBe('invalid-input')
    expect(error.message).toBe(`Refusing timeout ${timeout}: use a number of milliseconds above 0, such as 10000.`)
    expect(fetch).not.toHaveBeenCalled()
  })

  it.each<[string, string, string]>([
    [
      'an empty baseUrl (COURIER_BASE_URL= in a .env)',
      '',
      'Refusing baseUrl "": use an http(s) URL such as https://api.courier.com, or leave it out for the region\'s.',
    ],
    [
      'a baseUrl without a scheme',
      'api.eu.courier.com',
      'Refusing baseUrl "api.eu.courier.com": use an http(s) URL such as https://api.courier.com, or leave it out for the region\'s.',
    ],
    [
      'a baseUrl of another scheme',
      'ftp://api.courier.com',
      'Refusing baseUrl "ftp://api.courier.com": use an http(s) URL such as https://api.courier.com, or leave it out for the region\'s.',
    ],
  ])('refuses %s with invalid-input, not as Courier unavailable', async (_, baseUrl, message) => {
    const fetch = vi.fn<typeof globalThis.fetch>(async () => tokenResponse(courierJwt()))
    const error = await failure({ baseUrl, fetch })
    expect(error.code).toBe('invalid-input')
    expect(error.message).toBe(message)
    expect(fetch).not.toHaveBeenCalled()
  })

  it.each(['constructor', '__proto__', 'toString'])('refuses the region %j, a built-in property name, as unknown', async (region) => {
    const fetch = vi.fn<typeof globalThis.fetch>(async () => tokenResponse(courierJwt()))
    const error = await failure({ baseUrl: undefined as unknown as string, region: region as 'us', fetch })
    expect(error.code).toBe('invalid-input')
    expect(fetch).not.toHaveBeenCalled()
  })

  it('refuses an unknown region without calling fetch', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(async () => tokenResponse(courierJwt()))
    const error = await failure({ baseUrl: undefined as unknown as string, region: 'mars' as 'us', fetch })
    expect(error.code).toBe('invalid-input')
    expect(error.message).toBe('Unknown region "mars": use "us" or "eu".')
    expect(fetch).not.toHaveBeenCalled()
  })
})

describe('issueCourierToken: Courier’s answers', () => {
  it('maps a 401 to unauthorized, says which key to use, and scrubs the key Courier echoed', async () => {
    const error = await failure({ apiKey: WRONG_KEY })
    expect(stub.requests).toHaveLength(1)
    expect(stub.requests[0]?.responseBody).toContain(WRONG_KEY) // the stub did echo it
    expect(error.code).toBe('unauthorized')
    expect(error.status).toBe(401)
    expect(error.message).toContain("Use this workspace's API key")
    expect(error.message).toContain('401: Unauthorized. Invalid key [redacted], authentication_error')
  })

  it.each<[string, string, () => void]>([
    ['a wrong key with a trailing newline', `${WRONG_KEY}\n`, () => {}],
    [
      'a good key with a trailing CR, as read from a CRLF .env file',
      `${KEY}\r`,
      () => stub.next(500, { message: `internal error while checking ${KEY}` }),
    ],
  ])('scrubs the key Courier echoes for %s (fetch sends it trimmed)', async (_, apiKey, setup) => {
    setup()
    const error = await failure({ apiKey })
    expect(stub.requests).toHaveLength(1)
    expect(stub.requests[0]?.responseBody).toContain(apiKey.trim()) // the stub did echo it
    for (const text of [String(error), error.message, JSON.stringify(error), error.stack ?? '']) expect(text).not.toContain(apiKey.trim())
    expect(error.message).toContain('[redacted]')
  })

  it.each([20, 12])('scrubs the key when Courier echoes only its first %i characters', async (length) => {
    const apiKey = 'pk_prod_4F7KX2M9QD1ZP8RS6TB3VWYJ0N'
    stub.next(500, { message: `internal error while checking ${apiKey.slice(0, length)}`, type: 'api_error' })
    const error = await failure({ apiKey })
    for (const text of [String(error), error.message, JSON.stringify(error), error.stack ?? ''])
      expect(text).not.toContain(apiKey.slice(0, length))
    expect(error.message).toContain('internal error while checking [redacted]')
  })

  it.each<[string, string]>([
    ['another user', 'user_id:mallory inbox:read:messages inbox:write:events'],
    ['no user', 'inbox:read:messages inbox:write:events'],
    ['the user and another one', 'user_id:alice user_id:mallory inbox:read:messages inbox:write:events'],
  ])('never passes on a token Courier issued for %s: invalid-response', async (_, scope) => {
    stub.next(200, { token: makeJwt({ scope, iat: 1_900_000_000, exp: 1_900_003_600 }) })
    const error = await failure()
    expect(error.code).toBe('invalid-response')
    expect(error.message).toMatch(/^Courier answered a token for .*, not "user_id:alice": it is not passed on\.$/)
  })

  it('scrubs the key from any message Courier sends back', async () => {
    stub.next(500, { message: `internal error while checking ${KEY}`, type: 'api_error' })
    const error = await failure()
    expect(error.code).toBe('unavailable')
    expect(error.message).toContain('internal error while checking [redacted]')
  })

  it('maps a 403 to rejected', async () => {
    stub.next(403, { message: 'Forbidden', type: 'authorization_error' })
    const error = await failure()
    expect(error.code).toBe('rejected')
    expect(error.status).toBe(403)
    expect(error.message).toContain('Courier rejected the token request (403: Forbidden, authorization_error)')
  })

  it('maps a 400 to rejected and names the scope and expires_in it sent', async () => {
    stub.next(400, { message: 'Invalid scope', type: 'invalid_request_error' })
    const error = await failure({ expiresIn: '20m' })
    expect(error.code).toBe('rejected')
    expect(error.status).toBe(400)
    expect(error.message).toContain('400: Invalid scope, invalid_request_error')
    expect(error.message).toContain(`Check the scope "${INBOX}" and expires_in "1200s"`)
  })

  it('maps a 429 to rate-limited with Retry-After in ms', async () => {
    stub.next(429, { message: 'Too Many Requests' }, { 'retry-after': '12' })
    const error = await failure()
    expect(error.code).toBe('rate-limited')
    expect(error.status).toBe(429)
    expect(error.retryAfter).toBe(12_000)
    expect(error.message).toContain('429: Too Many Requests')
  })

  it('leaves retryAfter undefined for a 429 without Retry-After', async () => {
    stub.next(429, {})
    const error = await failure()
    expect(error.code).toBe('rate-limited')
    expect(error.retryAfter).toBeUndefined()
    expect(error.message).toContain('(429)')
  })

  it.each([500, 502, 503])('maps a %d to unavailable', async (status) => {
    stub.next(status, { message: 'Service Unavailable' })
    const error = await failure()
    expect(error.code).toBe('unavailable')
    expect(error.status).toBe(status)
    expect(error.message).toBe(`Courier failed to issue the token (${status}: Service Unavailable); try again shortly.`)
  })

  it.each<[string, unknown]>([
    ['an empty object', {}],
    ['text that is not JSON', '<html>ok</html>'],
    ['a token that is not a JWT', { token: 'not-a-jwt' }],
    ['a token that is a number', { token: 42 }],
  ])('maps a 200 with %s to invalid-response', async (_, body) => {
    stub.next(200, body)
    const error = await failure()
    expect(error.code).toBe('invalid-response')
    expect(error.status).toBe(200)
    expect(error.message).toBe('Courier answered 200 without a token.')
  })

  it('maps a closed port to unavailable and names the base URL', async () => {
    const server = createServer()
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const { port } = server.address() as AddressInfo
    await new Promise((resolve) => server.close(resolve))
    const baseUrl = `http://127.0.0.1:${port}`
    const error = await failure({ baseUrl })
    expect(error.code).toBe('unavailable')
    expect(error.status).toBeUndefined()
    expect(error.message).toContain(`Could not reach Courier at ${baseUrl}: `)
  })

  it('gives up on a hung answer after the timeout with unavailable', async () => {
    stub.hang()
    const started = Date.now()
    const error = await failure({ timeout: 50 })
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(stub.requests).toHaveLength(1)
    expect(error.code).toBe('unavailable')
    expect(error.message).toContain(`Could not reach Courier at ${stub.baseUrl}: `)
    expect(error.message).toMatch(/timeout|abort/i)
  })

  it.each<[string, () => Promise<Response>]>([
    ['a fetch that never answers', () => new Promise<Response>(() => {})],
    ['a body that never ends', async () => new Response(new ReadableStream({ start() {} }), { status: 200 })],
  ])(
    'gives up after the timeout with unavailable even when %s and ignores the abort signal',
    async (_, answer) => {
      const fetch = vi.fn<typeof globalThis.fetch>(answer)
      const started = Date.now()
      const error = await failure({ fetch, timeout: 50 })
      expect(Date.now() - started).toBeLessThan(2_000)
      expect(error.code).toBe('unavailable')
      expect(error.message).toMatch(/timeout|abort/i)
    },
    3_000,
  )

  it('waits for Courier with a timeout beyond the 32-bit timer range instead of aborting at once', async () => {
    // Node fires a longer timer after 1 ms.
    const fetch = vi.fn<typeof globalThis.fetch>(() => new Promise((resolve) => setTimeout(() => resolve(tokenResponse(courierJwt())), 20)))
    const result = await issue({ fetch, timeout: 30 * 24 * 3_600_000 })
    expect(decodeToken(result.token).scopes).toContain('inbox:read:messages')
  })

  it('scrubs the key from a network error message', async () => {
    const fetch = vi.fn<typeof globalThis.fetch>(async () => {
      throw new TypeError(`fetch failed for Bearer ${KEY}`)
    })
    const error = await failure({ fetch })
    expect(error.code).toBe('unavailable')
    expect(error.message).toContain('fetch failed for Bearer [redacted]')
  })
})
