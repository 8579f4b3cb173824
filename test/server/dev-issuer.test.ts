import { createHmac } from 'node:crypto'
import { runInNewContext } from 'node:vm'
import { build } from 'esbuild'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createDevIssuer } from '../../src/server/dev-issuer'
import type { IssueTokenRequest } from '../../src/server/dev-issuer'
import { decodeToken } from '../../src/token'

const NOW = 1_700_000_000_750 // ms; iat is floored to 1_700_000_000
const IAT = 1_700_000_000
const SCOPE = 'user_id:alice inbox:read:messages inbox:write:events'

const claimsOf = (token: string): Record<string, unknown> => {
  const payload = token.split('.')[1] ?? ''
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
}

const verifies = (token: string, secret: string) => {
  const [header, payload, signature] = token.split('.')
  return createHmac('sha256', secret).update(`${header}.${payload}`).digest('base64url') === signature
}

afterEach(() => {
  vi.unstubAllEnvs()
})

describe('createDevIssuer', () => {
  it('issues { token } with Courier’s claim shape and a one-hour default lifetime', async () => {
    const issuer = createDevIssuer({ secret: 's', now: () => NOW })
    const result = await issuer.issueToken({ scope: SCOPE })
    expect(Object.keys(result)).toEqual(['token'])
    const claims = claimsOf(result.token)
    expect(claims).toEqual({
      scope: SCOPE,
      tenant_scope: 'published/production',
      tenant_id: 'dev-tenant',
      iat: IAT,
      exp: IAT + 3600,
      jti: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
    })
  })

  it('trims surrounding whitespace from the scope', async () => {
    const issuer = createDevIssuer({ now: () => NOW })
    const { token } = await issuer.issueToken({ scope: `  ${SCOPE}\n` })
    expect(claimsOf(token).scope).toBe(SCOPE)
  })

  it('writes the configured tenant id', async () => {
    const issuer = createDevIssuer({ tenantId: 'workspace-42', now: () => NOW })
    const { token } = await issuer.issueToken({ scope: SCOPE })
    expect(claimsOf(token).tenant_id).toBe('workspace-42')
  })

  it.each([
    ['20s', 20],
    ['10m', 600],
    ['2 days', 2 * 86_400],
    [90, 90],
    ['45', 45],
  ])('uses the lifetime %j for exp when the request has no expires_in (%d s)', async (lifetime, seconds) => {
    const issuer = createDevIssuer({ lifetime, now: () => NOW })
    const { token } = await issuer.issueToken({ scope: SCOPE })
    expect(claimsOf(token).exp).toBe(IAT + seconds)
  })

  it.each([
    ['2h', 7200],
    ['2.5 hrs', 9000],
    ['30s', 30],
    [300, 300],
  ])('lets expires_in %j override the lifetime (exp = iat + %d)', async (expires_in, seconds) => {
    const issuer = createDevIssuer({ lifetime: '1d', now: () => NOW })
    const { token } = await issuer.issueToken({ scope: SCOPE, expires_in })
    const claims = claimsOf(token)
    expect(claims.iat).toBe(IAT)
    expect(claims.exp).toBe(IAT + seconds)
  })

  it('issues a token without exp when expires_in is null', async () => {
    const issuer = createDevIssuer({ now: () => NOW })
    const { token } = await issuer.issueToken({ scope: SCOPE, expires_in: null })
    const claims = claimsOf(token)
    expect(claims).not.toHaveProperty('exp')
    expect(claims.iat).toBe(IAT)
    expect(decodeToken(token).expiresAt).toBeUndefined()
  })

  it('reads the clock for every token', async () => {
    let now = NOW
    const issuer = createDevIssuer({ now: () => now })
    const first = claimsOf((await issuer.issueToken({ scope: SCOPE })).token)
    now += 61_000
    const second = claimsOf((await issuer.issueToken({ scope: SCOPE })).token)
    expect(first.iat).toBe(IAT)
    expect(second.iat).toBe(IAT + 61)
    expect(second.exp).toBe(IAT + 61 + 3600)
  })

  it('gives every token a different jti', async () => {
    const issuer = createDevIssuer({ now: () => NOW })
    const tokens = await Promise.all(Array.from({ length: 5 }, () => issuer.issueToken({ scope: SCOPE })))
    expect(new Set(tokens.map(({ token }) => claimsOf(token).jti)).size).toBe(5)
  })

  it('signs with the secret it was given and exposes it', async () => {
    const issuer = createDevIssuer({ secret: 'my-dev-secret' })
    const { token } = await issuer.issueToken({ scope: SCOPE })
    expect(issuer.secret).toBe('my-dev-secret')
    expect(verifies(token, 'my-dev-secret')).toBe(true)
    expect(verifies(token, 'another-secret')).toBe(false)
  })

  it('signs with a random 256-bit hex secret by default, different per issuer', async () => {
    const a = createDevIssuer()
    const b = createDevIssuer()
    expect(a.secret).toMatch(/^[0-9a-f]{64}$/)
    expect(b.secret).toMatch(/^[0-9a-f]{64}$/)
    expect(a.secret).not.toBe(b.secret)
    const { token } = await a.issueToken({ scope: SCOPE })
    expect(verifies(token, a.secret)).toBe(true)
    expect(verifies(token, b.secret)).toBe(false)
  })

  it('issues tokens the library decodes to the user and scopes', async () => {
    const issuer = createDevIssuer({ now: () => NOW })
    const info = decodeToken((await issuer.issueToken({ scope: SCOPE })).token)
    expect(info.userId).toBe('alice')
    expect(info.scopes).toEqual(['user_id:alice', 'inbox:read:messages', 'inbox:write:events'])
    expect(info.tenantId).toBe('dev-tenant')
    expect(info.expiresAt).toBe((IAT + 3600) * 1000)
  })

  it.each(['', '   ', '\n\t'])('rejects the blank scope %j with a TypeError', async (scope) => {
    const issuer = createDevIssuer()
    await expect(issuer.issueToken({ scope })).rejects.toThrow(TypeError)
    await expect(issuer.issueToken({ scope })).rejects.toThrow('scope must be a non-empty string')
  })

  it.each([undefined, null, 42, ['user_id:alice']])('rejects the non-string scope %j with a TypeError', async (scope) => {
    const issuer = createDevIssuer()
    const request = { scope } as unknown as IssueTokenRequest
    await expect(issuer.issueToken(request)).rejects.toThrow(TypeError)
    await expect(issuer.issueToken(request)).rejects.toThrow('scope must be a non-empty string')
  })

  it.each(['abc', '0', 0, '-5s', '1 month', '1h30m', ''])(
    'rejects expires_in %j with a TypeError instead of a token without expiry',
    async (expires_in) => {
      const issuer = createDevIssuer()
      await expect(issuer.issueToken({ scope: SCOPE, expires_in })).rejects.toThrow(TypeError)
      await expect(issuer.issueToken({ scope: SCOPE, expires_in })).rejects.toThrow(`Invalid duration ${JSON.stringify(expires_in)}`)
    },
  )

  it.each(['forever', '0', -1])('refuses the invalid lifetime %j at creation', (lifetime) => {
    expect(() => createDevIssuer({ lifetime })).toThrow(TypeError)
    expect(() => createDevIssuer({ lifetime })).toThrow(`Invalid duration ${JSON.stringify(lifetime)}`)
  })

  it('rejects an empty secret when created, not at the first token', () => {
    expect(() => createDevIssuer({ secret: '' })).toThrow(TypeError)
  })

  it.each(['400ms', '0.5s'])('rejects a lifetime under a second (%s): the token would be expired when issued', async (value) => {
    expect(() => createDevIssuer({ lifetime: value })).toThrow(/at least 1 second/)
    await expect(createDevIssuer().issueToken({ scope: 'user_id:a', expires_in: value })).rejects.toThrow(/at least 1 second/)
  })

  it('refuses to run when NODE_ENV is production', () => {
    vi.stubEnv('NODE_ENV', 'production')
    expect(() => createDevIssuer()).toThrow('refuses to run with NODE_ENV=production')
  })

  it('refuses to run in a production bundle for a runtime without process (a worker: the bundler inlines NODE_ENV)', async () => {
    // esbuild, like webpack and Vite, writes "production" in place of process.env.NODE_ENV in a minified browser build.
    const { outputFiles } = await build({
      entryPoints: ['src/server/dev-issuer.ts'],
      bundle: true,
      write: false,
      platform: 'browser',
      minify: true,
      format: 'iife',
      globalName: 'bundle',
    })
    const { createDevIssuer: bundled } = runInNewContext(`${outputFiles[0]!.text}; bundle`, { crypto, TextEncoder, btoa }) as {
      createDevIssuer: typeof createDevIssuer
    }
    expect(() => bundled()).toThrow('refuses to run with NODE_ENV=production')
    expect(bundled({ force: true, secret: 'forced' }).secret).toBe('forced')
  })

  it('runs in production when forced', async () => {
    vi.stubEnv('NODE_ENV', 'production')
    const issuer = createDevIssuer({ force: true, secret: 'forced', now: () => NOW })
    const { token } = await issuer.issueToken({ scope: SCOPE })
    expect(verifies(token, 'forced')).toBe(true)
    expect(claimsOf(token).exp).toBe(IAT + 3600)
  })

  it.each(['development', 'test', ''])('runs when NODE_ENV is %j', (env) => {
    vi.stubEnv('NODE_ENV', env)
    expect(createDevIssuer({ secret: 'x' }).secret).toBe('x')
  })
})
