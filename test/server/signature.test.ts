import { createHmac } from 'node:crypto'
import { describe, expect, it, vi } from 'vitest'
import { computeUserSignature } from '../../src/server/signature'

// The deprecation warning is module state: these tests run in order, and the first one sees it.
describe('computeUserSignature', () => {
  it('warns once, about deprecation and JWTs, across several calls (a refused call does not use it up)', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    await expect(computeUserSignature('', 'sk_test_valid')).rejects.toThrow(TypeError)
    expect(warn).not.toHaveBeenCalled()
    await computeUserSignature('alice', 'sk_test_valid')
    await computeUserSignature('bob', 'sk_test_valid')
    await computeUserSignature('carol', 'other-key')
    expect(warn).toHaveBeenCalledTimes(1)
    const [message] = warn.mock.calls[0] as [string]
    expect(message).toContain('deprecated')
    expect(message).toContain('JWT')
    expect(message).not.toContain('sk_test_valid')
  })

  it('does not warn again later', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    await computeUserSignature('dave', 'sk_test_valid')
    expect(warn).not.toHaveBeenCalled()
  })

  it.each([
    ['alice', 'sk_test_valid'],
    ['user-42', 'pk_prod_ABCDEF'],
    ['Zoë', 'süper-secret'],
    ['ユーザー🚀', '🔑 key'],
    ['alice inbox:write:messages', 'k'],
    ['x'.repeat(1_000), 'k'.repeat(200)], // a key longer than the HMAC block is hashed first
  ])('equals Node’s HMAC-SHA256 hex for user %j and key %j', async (userId, apiKey) => {
    const signature = await computeUserSignature(userId, apiKey)
    expect(signature).toBe(createHmac('sha256', apiKey).update(userId).digest('hex'))
    expect(signature).toMatch(/^[0-9a-f]{64}$/)
  })

  it.each(['\n', '\r', '\r\n', ' '])(
    'signs with the key Courier knows when it ends in %j (a CRLF .env), as issueCourierToken sends it trimmed',
    async (suffix) => {
      expect(await computeUserSignature('alice', `sk_test_valid${suffix}`)).toBe(
        createHmac('sha256', 'sk_test_valid').update('alice').digest('hex'),
      )
    },
  )

  it('gives different signatures for different users and keys', async () => {
    const base = await computeUserSignature('alice', 'key-1')
    expect(await computeUserSignature('alicf', 'key-1')).not.toBe(base)
    expect(await computeUserSignature('alice', 'key-2')).not.toBe(base)
  })

  it.each<[string, unknown, unknown]>([
    ['an empty userId', '', 'sk_test_valid'],
    ['an empty apiKey', 'alice', ''],
    ['a blank apiKey', 'alice', ' \n'],
    ['a missing userId', undefined, 'sk_test_valid'],
    ['a missing apiKey', 'alice', undefined],
    ['a userId that is a number', 42, 'sk_test_valid'],
  ])('throws a TypeError for %s', async (_, userId, apiKey) => {
    await expect(computeUserSignature(userId as string, apiKey as string)).rejects.toThrow(
      new TypeError('computeUserSignature needs a non-empty userId and apiKey.'),
    )
  })
})
