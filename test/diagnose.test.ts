import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Feature } from '../src/diagnose'
import { assertFeatures, diagnose, diagnoseToken, SCOPES } from '../src/diagnose'
import { decodeToken } from '../src/token'
import { courierJwt, makeJwt } from './helpers/jwt'

const NOW = Date.parse('2025-06-01T12:00:00Z')
const ALL_SCOPES = 'inbox:read:messages inbox:write:events read:preferences write:preferences write:user-tokens'

/** A token issued at NOW unless said otherwise. */
const token = (options: Parameters<typeof courierJwt>[0] = {}) => courierJwt({ issuedAt: NOW, ...options })
const codes = (jwt: string, options: Parameters<typeof diagnoseToken>[1] = {}) =>
  diagnoseToken(jwt, { now: NOW, ...options }).map((d) => d.code)

afterEach(() => {
  vi.useRealTimers()
})

describe('SCOPES', () => {
  it('lists the scopes each feature needs', () => {
    expect(SCOPES).toEqual({
      inbox: ['inbox:read:messages', 'inbox:write:events'],
      preferences: ['read:preferences', 'write:preferences'],
      push: ['write:user-tokens'],
    })
  })
})

describe('diagnoseToken', () => {
  it('finds nothing wrong with a good inbox token', () => {
    expect(diagnoseToken(token(), { now: NOW })).toEqual([])
  })

  it('finds nothing wrong with a token good for every feature and the right user', () => {
    const jwt = token({ scopes: ALL_SCOPES })

    expect(diagnoseToken(jwt, { now: NOW, features: ['inbox', 'preferences', 'push'], userId: 'alice' })).toEqual([])
  })

  describe('invalid-token', () => {
    it.each(['', 'garbage', 'a.b', makeJwt({ exp: 'soon' })])(
      'reports %j as one invalid-token diagnosis with the decode error message',
      (jwt) => {
        let decodeMessage = ''
        try {
          decodeToken(jwt)
        } catch (error) {
          decodeMessage = (error as Error).message
        }

        expect(decodeMessage).not.toBe('')
        expect(diagnoseToken(jwt)).toEqual([{ code: 'invalid-token', message: decodeMessage }])
      },
    )
  })

  describe('expiry', () => {
    it('reports no-expiry for a token without exp and tells to issue it with expires_in', () => {
      const found = diagnoseToken(token({ lifetime: null }), { now: NOW })

      expect(found).toEqual([{ code: 'no-expiry', message: expect.stringContaining('expires_in') }])
    })

    it('reports expired with how many seconds ago', () => {
      const jwt = token({ issuedAt: NOW - 3_600_000, lifetime: 3_510 }) // expired 90 s before NOW

      const found = diagnoseToken(jwt, { now: NOW })

      expect(found).toEqual([{ code: 'expired', message: expect.stringMatching(/\b90 s(econds)? ago/) }])
    })

    it('counts a token expiring exactly now as expired', () => {
      const jwt = token({ issuedAt: NOW - 3_600_000, lifetime: 3_600 })

      expect(codes(jwt)).toEqual(['expired'])
    })

    it('does not count a token expiring one second from now as expired', () => {
      const jwt = token({ issuedAt: NOW - 3_599_000, lifetime: 3_600 })

      expect(codes(jwt)).toEqual([])
    })

    it.each([
      { lifetime: 239, refreshMargin: undefined, found: ['short-lived'] },
      { lifetime: 240, refreshMargin: undefined, found: [] },
      { lifetime: 59, refreshMargin: 30_000, found: ['short-lived'] },
      { lifetime: 60, refreshMargin: 30_000, found: [] },
      { lifetime: 3_600, refreshMargin: 1_800_001, found: ['short-lived'] },
    ])('for a token living $lifetime s with refreshMargin $refreshMargin reports $found', ({ lifetime, refreshMargin, found }) => {
      expect(codes(token({ lifetime }), { refreshMargin })).toEqual(found)
    })

    it('says how long a short-lived token lives', () => {
      const [diagnosis] = diagnoseToken(token({ lifetime: 100 }), { now: NOW })

      expect(diagnosis).toEqual({ code: 'short-lived', message: expect.stringMatching(/\b100 s/) })
    })

    it('does not report short-lived for a token without iat', () => {
      const jwt = makeJwt({ scope: 'user_id:alice inbox:read:messages inbox:write:events', exp: NOW / 1000 + 60 })

      expect(codes(jwt)).toEqual([])
    })

    it('reports only expired, not short-lived, for a short token that has expired', () => {
      const jwt = token({ issuedAt: NOW - 60_000, lifetime: 30 })

      expect(codes(jwt)).toEqual(['expired'])
    })

    it('judges expiry at Date.now() by default', () => {
      vi.useFakeTimers()
      const jwt = token({ lifetime: 3_600 })

      vi.setSystemTime(NOW + 3_599_000)
      expect(diagnoseToken(jwt).map((d) => d.code)).toEqual([])

      vi.setSystemTime(NOW + 3_601_000)
      expect(diagnoseToken(jwt).map((d) => d.code)).toEqual(['expired'])
    })
  })

  describe('user', () => {
    it('reports missing-user for a token without a user_id scope and shows the scope to add', () => {
      const found = diagnoseToken(token({ userId: null }), { now: NOW })

      expect(found).toEqual([{ code: 'missing-user', message: expect.stringContaining('user_id:<id>') }])
    })

    it('reports missing-user for an empty user_id scope', () => {
      expect(codes(token({ userId: '' }))).toEqual(['missing-user'])
    })

    it('reports user-mismatch naming both users when the token is for someone else', () => {
      const found = diagnoseToken(token({ userId: 'alice' }), { now: NOW, userId: 'bob' })

      expect(found).toHaveLength(1)
      expect(found[0]?.code).toBe('user-mismatch')
      expect(found[0]?.message).toContain('alice')
      expect(found[0]?.message).toContain('bob')
    })

    it('finds nothing wrong when the token user is the expected user', () => {
      expect(codes(token({ userId: 'alice' }), { userId: 'alice' })).toEqual([])
    })

    it('reports missing-user, not user-mismatch, when a user is expected but the token has none', () => {
      expect(codes(token({ userId: null }), { userId: 'alice' })).toEqual(['missing-user'])
    })
  })

  describe('missing-scope', () => {
    it('checks the inbox scopes by default', () => {
      const found = diagnoseToken(token({ scopes: 'read:preferences' }), { now: NOW })

      expect(found).toEqual([
        { code: 'missing-scope', message: expect.any(String), feature: 'inbox', scopes: ['inbox:read:messages', 'inbox:write:events'] },
      ])
    })

    it('lists only the scopes that are missing, one diagnosis per feature, in the order of features', () => {
      const jwt = token({ scopes: 'inbox:read:messages write:preferences' })

      const found = diagnoseToken(jwt, { now: NOW, features: ['push', 'inbox', 'preferences'] })

      expect(found).toEqual([
        { code: 'missing-scope', message: expect.any(String), feature: 'push', scopes: ['write:user-tokens'] },
        { code: 'missing-scope', message: expect.any(String), feature: 'inbox', scopes: ['inbox:write:events'] },
        { code: 'missing-scope', message: expect.any(String), feature: 'preferences', scopes: ['read:preferences'] },
      ])
    })

    it('names the feature and the missing scopes and says to add them to the Issue Token scope', () => {
      const [diagnosis] = diagnoseToken(token({ scopes: 'inbox:read:messages' }), { now: NOW, features: ['inbox', 'preferences'] }).filter(
        (d) => d.feature === 'preferences',
      )

      expect(diagnosis?.message).toContain('preferences')
      expect(diagnosis?.message).toContain('read:preferences')
      expect(diagnosis?.message).toContain('write:preferences')
      expect(diagnosis?.message).not.toContain('inbox:')
      expect(diagnosis?.message).toMatch(/add them/i)
      expect(diagnosis?.message).toMatch(/Issue Token/)
    })

    it('checks no scopes when asked for no features', () => {
      expect(codes(token({ scopes: '' }), { features: [] })).toEqual([])
    })
  })

  it('puts the expiry diagnosis first, then the user, then scopes', () => {
    const jwt = token({ issuedAt: NOW - 7_200_000, userId: null, scopes: '' })

    expect(codes(jwt, { features: ['inbox', 'push'] })).toEqual(['expired', 'missing-user', 'missing-scope', 'missing-scope'])
  })

  it('reports a mismatched user and missing scopes after no-expiry', () => {
    const jwt = token({ lifetime: null, userId: 'mallory', scopes: 'inbox:read:messages' })

    expect(codes(jwt, { userId: 'alice' })).toEqual(['no-expiry', 'user-mismatch', 'missing-scope'])
  })

  it.each([['chat'], ['INBOX'], ['toString']])('throws a TypeError naming the unknown feature %j instead of diagnosing', (feature) => {
    const features = ['inbox', feature] as Feature[]

    expect(() => diagnoseToken(token(), { now: NOW, features })).toThrow(TypeError)
    expect(() => diagnoseToken(token(), { now: NOW, features })).toThrow(`"${feature}"`)
    expect(() => diagnoseToken('not a jwt', { now: NOW, features })).toThrow(`"${feature}"`)
  })
})

describe('diagnose', () => {
  it('gives the same diagnoses as diagnoseToken for a decoded token', () => {
    const jwt = token({ issuedAt: NOW - 7_200_000, userId: 'mallory', scopes: 'write:user-tokens' })
    const options = { now: NOW, userId: 'alice', features: ['inbox', 'push'] as const }

    expect(diagnose(decodeToken(jwt), options)).toEqual(diagnoseToken(jwt, options))
    expect(diagnose(decodeToken(jwt), options).map((d) => d.code)).toEqual(['expired', 'user-mismatch', 'missing-scope'])
  })

  it('judges the times of the info it is given, not the claims', () => {
    const info = decodeToken(token({ lifetime: 3_600 }))

    // As the manager does after correcting for a client clock two hours fast.
    const onLocalClock = { ...info, expiresAt: NOW - 5_000, issuedAt: NOW - 3_605_000 }

    expect(diagnose(onLocalClock, { now: NOW }).map((d) => d.code)).toEqual(['expired'])
  })

  it('checks the scopes of the info it is given', () => {
    const info = { ...decodeToken(token()), scopes: ['user_id:alice'] }

    expect(diagnose(info, { now: NOW }).map((d) => [d.code, d.feature])).toEqual([['missing-scope', 'inbox']])
  })
})

describe('assertFeatures', () => {
  it.each([[[]], [['inbox']], [['inbox', 'preferences', 'push']], [undefined]])('accepts %j', (features) => {
    expect(() => assertFeatures(features)).not.toThrow()
  })

  it.each([
    { features: ['chat'], unknown: 'chat' },
    { features: ['inbox', 'push', 'sms'], unknown: 'sms' },
    { features: ['Inbox'], unknown: 'Inbox' },
    { features: ['constructor'], unknown: 'constructor' },
  ])('throws a TypeError naming $unknown in $features', ({ features, unknown }) => {
    expect(() => assertFeatures(features)).toThrow(TypeError)
    expect(() => assertFeatures(features)).toThrow(`"${unknown}"`)
  })
})
