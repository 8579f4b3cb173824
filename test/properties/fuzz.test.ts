// Everything that reads untrusted input, fed arbitrary strings and JSON: typed errors only, never a
// crash, never a hang (each case runs in microseconds; the suite's timeout catches a hang).
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { readMessage } from '../../src/cross-tab'
import { createTokenSource, toTokenManagerError } from '../../src/fetch-token'
import { decodeToken, diagnoseToken, isTokenManagerError, TokenManagerError } from '../../src/index'
import { parseRetryAfter } from '../../src/retry'
import { makeJwt } from '../helpers/jwt'

const SEED = Number(process.env.FC_SEED ?? 20_261_125)
const RUNS = Number(process.env.FC_RUNS ?? 200) * 20
const options = { seed: SEED, numRuns: RUNS }

const base64url = (text: string) => Buffer.from(text).toString('base64url')
/** Strings that look more or less like JWTs: arbitrary parts, arbitrary JSON payloads, real ones with odd claims. */
const jwtish = fc.oneof(
  fc.string(),
  fc.tuple(fc.string(), fc.string(), fc.string()).map((parts) => parts.join('.')),
  fc.tuple(fc.json(), fc.string()).map(([json, signature]) => `${base64url('{"alg":"HS256"}')}.${base64url(json)}.${base64url(signature)}`),
  fc
    .dictionary(fc.constantFrom('exp', 'iat', 'scope', 'tenant_id', 'constructor', '__proto__'), fc.jsonValue())
    .map((claims) => makeJwt(claims)),
)

const expectTypedFailure = (run: () => unknown) => {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(TokenManagerError)
  }
}

describe('fuzzing', () => {
  it('decodeToken returns a TokenInfo or throws a TokenManagerError, for any string', () => {
    fc.assert(
      fc.property(jwtish, (input) => {
        expectTypedFailure(() => {
          const info = decodeToken(input)
          expect(Array.isArray(info.scopes)).toBe(true)
          expect(info.expiresAt === undefined || Number.isFinite(info.expiresAt)).toBe(true)
        })
      }),
      options,
    )
  })

  it('decodeToken and diagnoseToken survive any value, not only strings', () => {
    fc.assert(
      fc.property(fc.anything(), (input) => {
        expectTypedFailure(() => decodeToken(input as string))
        expect(Array.isArray(diagnoseToken(input as string))).toBe(true)
      }),
      options,
    )
  })

  it('diagnoseToken always answers a list of diagnoses with a code and a message', () => {
    fc.assert(
      fc.property(jwtish, fc.option(fc.string(), { nil: undefined }), fc.integer(), (input, userId, now) => {
        for (const diagnosis of diagnoseToken(input, { userId, now, features: ['inbox', 'preferences', 'push'] })) {
          expect(typeof diagnosis.code).toBe('string')
          expect(diagnosis.message.length).toBeGreaterThan(10)
        }
      }),
      options,
    )
  })

  it('readMessage reads any cross-tab message, or none, without throwing', () => {
    fc.assert(
      fc.property(fc.anything(), (data) => {
        const message = readMessage(data)
        expect(message === undefined || ['token', 'ask', 'signed-out'].includes(message.type)).toBe(true)
      }),
      options,
    )
  })

  it('parseRetryAfter answers a non-negative number of ms or undefined for any header', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.nat().map(String),
          fc.date({ noInvalidDate: true }).map((date) => date.toUTCString()),
        ),
        (value) => {
          const ms = parseRetryAfter(value, Date.now())
          expect(ms === undefined || (Number.isFinite(ms) && ms >= 0)).toBe(true)
        },
      ),
      options,
    )
  })

  it('toTokenManagerError turns anything thrown into a TokenManagerError', () => {
    fc.assert(
      fc.property(fc.anything(), (thrown) => {
        expect(isTokenManagerError(toTokenManagerError(thrown, Date.now()))).toBe(true)
      }),
      options,
    )
  })

  it('the token endpoint’s answer, whatever its body and content type, is a token or a TokenManagerError', async () => {
    const body = fc.oneof(
      fc.string(),
      fc.json(),
      jwtish,
      jwtish.map((token) => JSON.stringify({ token })),
      jwtish.map((token) => JSON.stringify({ jwt: token })),
      fc.jsonValue().map((value) => JSON.stringify({ token: value })),
    )
    const contentType = fc.constantFrom('application/json', 'text/plain', 'text/html; charset=utf-8', '')
    const status = fc.constantFrom(200, 201, 204, 301, 400, 401, 403, 404, 429, 500, 503)
    await fc.assert(
      fc.asyncProperty(body, contentType, status, async (text, type, code) => {
        const source = createTokenSource({
          url: 'https://app.test/token',
          fetch: async () => new Response(code === 204 ? null : text, { status: code, headers: type ? { 'content-type': type } : {} }),
        })
        try {
          const info = await source(new AbortController().signal, Date.now())
          expect(typeof info.token).toBe('string')
        } catch (error) {
          expect(isTokenManagerError(toTokenManagerError(error, Date.now()))).toBe(true)
          // What ky throws for a status is mapped, not crashed on.
          if (!isTokenManagerError(error)) expect((error as { response?: { status?: number } }).response?.status).toBe(code)
        }
      }),
      { seed: SEED, numRuns: Math.max(50, RUNS / 4) },
    )
  })
})
