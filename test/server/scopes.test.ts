import { describe, expect, it } from 'vitest'
import { IssueTokenError } from '../../src/server/errors'
import { assertUserId, buildScope } from '../../src/server/scopes'
import type { Feature } from '../../src/diagnose'

const refusal = (run: () => unknown): IssueTokenError => {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(IssueTokenError)
    return error as IssueTokenError
  }
  throw new Error('expected an IssueTokenError, nothing was thrown')
}

const INJECTIONS: Array<[string, unknown]> = [
  ['a space smuggling a scope', 'alice inbox:write:messages'],
  ['a newline smuggling a scope', 'alice\ninbox:read:messages'],
  ['a trailing tab', 'alice\t'],
  ['a leading space', ' alice'],
  ['an empty string', ''],
  ['a NUL character', 'a\u0000b'],
  ['a DEL character', 'a\u007fb'],
  ['a 301-character string', 'a'.repeat(301)],
  ['undefined', undefined],
  ['a number', 5],
  ['null', null],
]

describe('assertUserId', () => {
  it.each(['alice', 'user-42', 'alice@example.com', 'Zoë', 'a'.repeat(256), 'tenant/user:1'])('accepts the user id %j', (userId) => {
    expect(() => assertUserId(userId)).not.toThrow()
  })

  it.each(INJECTIONS)('refuses %s with invalid-input', (_, userId) => {
    const error = refusal(() => assertUserId(userId))
    expect(error.code).toBe('invalid-input')
    expect(error.name).toBe('IssueTokenError')
    expect(error.message).toContain('Refusing user id')
    expect(error.message).toContain('without whitespace, control or invisible characters')
  })

  // Invisible characters would pass review; the last three are no ids at all.
  it.each([
    ['a zero-width space', 'ali\u200Bce'],
    ['a C1 control character', 'ali\u0085ce'],
    ['a right-to-left override', 'alice\u202Eecila'],
    ['a no-break space', 'alice\u00A0bob'],
    ['a Hangul filler (U+3164), which renders as nothing', 'ali\u3164ce'],
    ['a blank braille pattern (U+2800)', '\u2800'],
    ['a soft hyphen (U+00AD)', 'ali\u00ADce'],
    ['a "*", which may read as a wildcard', '*'],
    ['a "*" inside', 'team-*'],
    ['a leading user_id:, another user’s scope in disguise', 'user_id:bob'],
  ])('refuses a user id with %s', (_, userId) => {
    expect(refusal(() => assertUserId(userId)).code).toBe('invalid-input')
  })

  it('quotes at most 40 characters of a refused user id: a 1 MB id is not logged per request', () => {
    const { message } = refusal(() => assertUserId(`${'x'.repeat(1_000_000)} inbox:write:messages`))
    expect(message).toContain(`Refusing user id "${'x'.repeat(39)}…:`)
    expect(message.length).toBeLessThan(250)
  })
})

describe('buildScope', () => {
  it.each([
    ['scopes', { scopes: 'read:brands' }, 'scopes must be an array, such as [\'read:brands\'], not "read:brands".'],
    ['features', { features: 'inbox' }, "features must be an array, such as ['inbox', 'preferences'], not \"inbox\"."],
  ])('throws a TypeError for %s given as a string, rather than reading it a character at a time', (_, options, message) => {
    expect(() => buildScope({ userId: 'alice', ...(options as object) })).toThrow(new TypeError(message))
  })

  it('gives user_id plus the inbox scopes by default', () => {
    expect(buildScope({ userId: 'alice' })).toBe('user_id:alice inbox:read:messages inbox:write:events')
  })

  it.each<[readonly Feature[], string]>([
    [['inbox'], 'user_id:alice inbox:read:messages inbox:write:events'],
    [['preferences'], 'user_id:alice read:preferences write:preferences'],
    [['push'], 'user_id:alice write:user-tokens'],
    [['push', 'inbox'], 'user_id:alice write:user-tokens inbox:read:messages inbox:write:events'],
    [
      ['inbox', 'preferences', 'push'],
      'user_id:alice inbox:read:messages inbox:write:events read:preferences write:preferences write:user-tokens',
    ],
    [[], 'user_id:alice'],
  ])('adds the scopes of the features %j in order', (features, expected) => {
    expect(buildScope({ userId: 'alice', features })).toBe(expected)
  })

  it('adds extra scopes after the features', () => {
    expect(buildScope({ userId: 'bob', features: ['push'], scopes: ['read:brands', 'read:messages'] })).toBe(
      'user_id:bob write:user-tokens read:brands read:messages',
    )
  })

  it('writes each scope once, where it first appears', () => {
    expect(
      buildScope({ userId: 'alice', features: ['inbox', 'inbox'], scopes: ['inbox:write:events', 'read:brands', 'read:brands'] }),
    ).toBe('user_id:alice inbox:read:messages inbox:write:events read:brands')
  })

  it.each([
    'inbox:read:messages',
    'inbox:write:events',
    'read:preferences',
    'write:preferences',
    'read:user-tokens',
    'write:user-tokens',
    'read:messages',
    'read:brands',
    'write:brands',
    'read:brands:brand-1',
    'write:brands:b_2',
  ])('accepts the known scope %s', (scope) => {
    expect(buildScope({ userId: 'alice', features: [], scopes: [scope] })).toBe(`user_id:alice ${scope}`)
  })

  it.each([
    ['user_id:bob', 'the user only comes from userId'],
    ['inbox:write:messages', 'not a client scope'],
    ['admin', 'not a client scope'],
    ['read:brands:', 'an empty brand id'],
    ['read:brands:a b', 'a space in the brand id'],
    ['', 'an empty scope'],
    ['read:messages write:brands', 'two scopes in one entry'],
  ])('refuses the scope %j (%s)', (scope) => {
    const error = refusal(() => buildScope({ userId: 'alice', scopes: [scope] }))
    expect(error.code).toBe('invalid-input')
    expect(error.message).toContain(`Refusing scope ${JSON.stringify(scope)}`)
    expect(error.message).toContain('The user_id: scope comes from userId.')
  })

  it.each(['chat', 'toString', '__proto__'])('refuses the unknown feature %j', (feature) => {
    const error = refusal(() => buildScope({ userId: 'alice', features: [feature as Feature] }))
    expect(error.code).toBe('invalid-input')
    expect(error.message).toBe(`Unknown feature ${JSON.stringify(feature)}: use inbox, preferences, push.`)
  })

  it.each(INJECTIONS)('checks the user id first: refuses %s even with a bad feature and scope', (_, userId) => {
    const error = refusal(() => buildScope({ userId: userId as string, features: ['chat' as Feature], scopes: ['admin'] }))
    expect(error.code).toBe('invalid-input')
    expect(error.message).toContain('Refusing user id')
  })
})
