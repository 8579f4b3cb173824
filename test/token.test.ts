import { InvalidTokenError } from 'jwt-decode'
import { describe, expect, it } from 'vitest'
import { TokenManagerError } from '../src/errors'
import { decodeToken } from '../src/token'
import { makeJwt } from './helpers/jwt'

const HEADER = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT' })).toString('base64url')

/** A three-part token whose payload is exactly `raw` (which need not be JSON), with a dummy signature. */
const rawJwt = (raw: string) => `${HEADER}.${Buffer.from(raw).toString('base64url')}.signature`

/** Calls decodeToken and returns what it threw. */
function decodeError(jwt: string): TokenManagerError {
  try {
    decodeToken(jwt)
  } catch (error) {
    if (error instanceof TokenManagerError) return error
    throw new Error(`decodeToken threw something else: ${String(error)}`)
  }
  throw new Error('decodeToken did not throw')
}

describe('decodeToken', () => {
  it('reads a claim named constructor like any other', () => {
    expect(decodeToken(makeJwt({ constructor: 'x', scope: 'user_id:a' })).userId).toBe('a')
  })

  it.each([1e306, -1.8e305])('refuses a time that is a number of seconds but not of milliseconds (%d)', (exp) => {
    expect(() => decodeToken(makeJwt({ scope: 'user_id:a', exp }))).toThrow(TokenManagerError)
  })

  it('accepts an empty signature: it never checks signatures', () => {
    const [header, payload] = makeJwt({ scope: 'user_id:a', exp: 1 }).split('.')
    expect(decodeToken(`${header}.${payload}.`).expiresAt).toBe(1000)
  })

  it('reads every field of a Courier token, with times in milliseconds', () => {
    const claims = {
      scope: 'user_id:alice inbox:read:messages inbox:write:events',
      tenant_id: 'workspace-1',
      tenant_scope: 'published/production',
      iat: 1_700_000_000,
      exp: 1_700_003_600,
      jti: 'abc',
    }
    const jwt = makeJwt(claims)

    expect(decodeToken(jwt)).toEqual({
      token: jwt,
      claims,
      expiresAt: 1_700_003_600_000,
      issuedAt: 1_700_000_000_000,
      userId: 'alice',
      scopes: ['user_id:alice', 'inbox:read:messages', 'inbox:write:events'],
      tenantId: 'workspace-1',
    })
  })

  it('does not check the signature', () => {
    const jwt = makeJwt({ scope: 'user_id:bob', exp: 2_000_000_000 }, 'some-other-secret')

    expect(decodeToken(jwt).userId).toBe('bob')
  })

  it('leaves expiresAt and issuedAt undefined when the token has no exp or iat', () => {
    const info = decodeToken(makeJwt({ scope: 'user_id:alice' }))

    expect(info.expiresAt).toBeUndefined()
    expect(info.issuedAt).toBeUndefined()
  })

  it.each([
    { scope: 'user_id:alice', scopes: ['user_id:alice'] },
    { scope: '  user_id:alice   a\tb\nc  ', scopes: ['user_id:alice', 'a', 'b', 'c'] },
    { scope: '', scopes: [] },
    { scope: '   ', scopes: [] },
    { scope: undefined, scopes: [] },
    { scope: 42, scopes: [] },
  ])('splits scope $scope on whitespace into $scopes', ({ scope, scopes }) => {
    expect(decodeToken(makeJwt({ scope })).scopes).toEqual(scopes)
  })

  it.each([
    { scope: 'inbox:read:messages user_id:carol', userId: 'carol' },
    { scope: 'user_id:carol user_id:dave', userId: 'carol' },
    { scope: 'user_id:org:carol@example.com', userId: 'org:carol@example.com' },
    { scope: 'inbox:read:messages', userId: undefined },
    { scope: 'user_id: inbox:read:messages', userId: undefined },
    { scope: 'xuser_id:carol', userId: undefined },
    { scope: undefined, userId: undefined },
  ])('takes userId $userId from scope $scope', ({ scope, userId }) => {
    expect(decodeToken(makeJwt({ scope })).userId).toBe(userId)
  })

  it.each([
    { tenant_id: 'workspace-9', tenantId: 'workspace-9' },
    { tenant_id: 9, tenantId: undefined },
    { tenant_id: undefined, tenantId: undefined },
  ])('reads tenantId $tenantId from a tenant_id claim of $tenant_id', ({ tenant_id, tenantId }) => {
    expect(decodeToken(makeJwt({ tenant_id })).tenantId).toBe(tenantId)
  })

  describe('rejects malformed tokens with an invalid-token error', () => {
    it.each([
      { what: 'an empty string', jwt: '' },
      { what: 'a plain word', jwt: 'not-a-jwt' },
      { what: 'a sentence', jwt: 'Bearer is not a token' },
      { what: 'a two-part string', jwt: `${HEADER}.${Buffer.from('{}').toString('base64url')}` },
      { what: 'a four-part string', jwt: `${rawJwt('{}')}.extra` },
      { what: 'a payload with characters outside base64url', jwt: `${HEADER}.e30=!.signature` },
      { what: 'a payload that is not valid base64', jwt: `${HEADER}.a.signature` },
      { what: 'a payload that is not JSON', jwt: rawJwt('not json') },
      { what: 'a JSON array payload', jwt: rawJwt('[{"exp":1}]') },
      { what: 'a JSON number payload', jwt: rawJwt('42') },
      { what: 'a JSON string payload', jwt: rawJwt('"user_id:alice"') },
      { what: 'a JSON null payload', jwt: rawJwt('null') },
      { what: 'an exp that is a numeric string', jwt: makeJwt({ exp: '1700000000' }) },
      { what: 'an iat that is a string', jwt: makeJwt({ iat: 'yesterday' }) },
      { what: 'an exp that is null', jwt: makeJwt({ exp: null }) },
      { what: 'an exp that is a boolean', jwt: makeJwt({ exp: true }) },
      { what: 'an exp that overflows to Infinity', jwt: rawJwt('{"exp":1e999}') },
      { what: 'an iat that overflows to -Infinity', jwt: rawJwt('{"iat":-1e999}') },
    ])('$what', ({ jwt }) => {
      const error = decodeError(jwt)

      expect(error).toBeInstanceOf(TokenManagerError)
      expect(error.code).toBe('invalid-token')
    })
  })

  it('keeps the jwt-decode error as cause but keeps the payload out of its own message', () => {
    const jwt = rawJwt('leaked-secret-payload')

    const error = decodeError(jwt)

    expect(error.cause).toBeInstanceOf(InvalidTokenError)
    // jwt-decode quotes the start of the payload, which is why it must not reach our message.
    expect((error.cause as Error).message).toContain('leaked-sec')
    expect(error.message).not.toContain('leaked')
    expect(error.message).not.toContain(jwt)
  })
})
