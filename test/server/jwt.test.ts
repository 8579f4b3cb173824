import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { signHs256 } from '../../src/server/jwt'
import { makeJwt } from '../helpers/jwt'

const decodePart = (part: string | undefined): unknown => JSON.parse(Buffer.from(part ?? '', 'base64url').toString('utf8'))

const split = (token: string) => {
  const parts = token.split('.')
  expect(parts).toHaveLength(3)
  const [header = '', payload = '', signature = ''] = parts
  return { header, payload, signature }
}

describe('signHs256', () => {
  it('signs large claims without overflowing the stack', async () => {
    const claims = { blob: 'x'.repeat(300_000) }
    const { payload } = split(await signHs256(claims, 'secret'))
    expect(JSON.parse(Buffer.from(payload!, 'base64url').toString())).toEqual(claims)
  })

  it('returns three dot-separated base64url parts', async () => {
    const token = await signHs256({ sub: 'alice' }, 'secret')
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/)
  })

  it('writes the header {"alg":"HS256","typ":"JWT"}', async () => {
    const { header } = split(await signHs256({ sub: 'alice' }, 'secret'))
    expect(decodePart(header)).toEqual({ alg: 'HS256', typ: 'JWT' })
  })

  it.each([
    ['plain ASCII', { scope: 'user_id:alice inbox:read:messages', iat: 1_700_000_000, exp: 1_700_003_600 }],
    ['a non-ASCII letter', { name: 'Jürgen Müller' }],
    ['an emoji', { status: 'on fire 🔥', user: '👩‍💻' }],
    ['CJK text', { greeting: 'こんにちは' }],
    ['nested values', { a: { b: [1, 2, { c: null }] }, flag: true }],
    ['characters base64 pads or maps to +/', { x: '>>>???~~~', y: 'ÿÿÿ' }],
  ])('round-trips a payload with %s', async (_, claims) => {
    const { payload } = split(await signHs256(claims, 'secret'))
    expect(decodePart(payload)).toEqual(claims)
  })

  it('signs with HMAC-SHA256 over "header.payload", exactly as Node computes it', async () => {
    const secret = 'süper-secret 🔑'
    const { header, payload, signature } = split(await signHs256({ name: 'Zoë', emoji: '🎉', n: 1 }, secret))
    const expected = createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url')
    expect(signature).toBe(expected)
  })

  it('produces the same token as an independent HS256 implementation', async () => {
    const claims = { scope: 'user_id:ü', iat: 1, exp: 2 }
    expect(await signHs256(claims, 'k')).toBe(makeJwt(claims, 'k'))
  })

  it('gives a different signature for a different secret', async () => {
    const a = split(await signHs256({ sub: 'alice' }, 'one'))
    const b = split(await signHs256({ sub: 'alice' }, 'two'))
    expect(a.payload).toBe(b.payload)
    expect(a.signature).not.toBe(b.signature)
  })

  it('leaves no base64 padding or +/ characters in any part', async () => {
    // Payloads of varying length exercise every padding remainder.
    for (const filler of ['', 'a', 'ab', 'abc', '>>>???']) {
      const token = await signHs256({ filler }, 'secret')
      expect(token).not.toMatch(/[=+/]/)
    }
  })
})
