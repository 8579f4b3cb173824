import { parseDuration } from './duration'
import { signHs256 } from './jwt'

export interface DevIssuerOptions {
  /** HMAC secret for the tokens. @default a random one per issuer */
  secret?: string
  /** Lifetime when a request has no `expires_in`: a duration like `"20s"` or seconds. @default '1h' */
  lifetime?: string | number
  /** Courier workspace id written to `tenant_id`. @default 'dev-tenant' */
  tenantId?: string
  /** Run even when NODE_ENV is production. Never do this with real users. */
  force?: boolean
  /** @default Date.now */
  now?: () => number
}

/** The body of Courier's `POST /auth/issue-token`. */
export interface IssueTokenRequest {
  /** Space-separated scopes, e.g. `user_id:alice inbox:read:messages inbox:write:events`. */
  scope: string
  /** e.g. `"1h"`. Omitted: the issuer's `lifetime`. `null`: a token without `exp`, as Courier issues. */
  expires_in?: string | number | null
}

export interface DevIssuer {
  /** Mints a token shaped like Courier's answer: `{ token }`. */
  issueToken(request: IssueTokenRequest): Promise<{ token: string }>
  /**
   * Answers `POST …/auth/issue-token` as Courier does (any Bearer key), so `issueCourierToken` and
   * `createTokenHandler` run unchanged against it: `createTokenHandler({ apiKey: 'dev', fetch: issuer.fetch, … })`.
   */
  fetch: typeof fetch
  /** The HMAC secret, to verify tokens in tests. */
  readonly secret: string
}

// Written out as process.env.NODE_ENV so bundlers inline it: a worker bundle has no process at run time.
const nodeEnv = () => {
  try {
    return process.env.NODE_ENV
  } catch {
    return undefined
  }
}

const randomSecret = () => Array.from(crypto.getRandomValues(new Uint8Array(32)), (byte) => byte.toString(16).padStart(2, '0')).join('')

/**
 * A local stand-in for Courier's Issue Token endpoint, for development, tests and the demo.
 * Tokens carry Courier's claim shape (`scope`, `tenant_scope`, `tenant_id`, `iat`, `exp`, `jti`)
 * but are signed with a local secret: Courier rejects them.
 * @throws {Error} when NODE_ENV is `production` and `force` is not set.
 */
export function createDevIssuer({
  secret = randomSecret(),
  lifetime = '1h',
  tenantId = 'dev-tenant',
  force,
  now = Date.now,
}: DevIssuerOptions = {}): DevIssuer {
  if (nodeEnv() === 'production' && !force) {
    throw new Error(
      'createDevIssuer() mints tokens Courier does not accept; it refuses to run with NODE_ENV=production. Pass { force: true } if you really mean it.',
    )
  }
  if (typeof secret !== 'string' || !secret) throw new TypeError('secret must be a non-empty string.')
  const lifetimeOf = (value: string | number) => {
    const ms = parseDuration(value)
    // JWT times are whole seconds: anything shorter would be expired when issued.
    if (ms < 1000) throw new TypeError(`A token must live at least 1 second, got ${JSON.stringify(value)}.`)
    return ms
  }
  const defaultLifetime = lifetimeOf(lifetime)
  const answer = (status: number, body: unknown) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } })
  const issuer: DevIssuer = {
    secret,
    async fetch(input, init) {
      const request = new Request(input, init)
      if (request.method !== 'POST' || !new URL(request.url).pathname.endsWith('/auth/issue-token'))
        return answer(404, { message: 'Not found' })
      if (!/^Bearer \S/.test(request.headers.get('authorization') ?? ''))
        return answer(401, { message: 'Unauthorized', type: 'authentication_error' })
      try {
        return answer(200, await issuer.issueToken((await request.json()) as IssueTokenRequest))
      } catch (error) {
        return answer(400, { message: (error as Error).message, type: 'invalid_request_error' })
      }
    },
    async issueToken({ scope, expires_in }) {
      if (typeof scope !== 'string' || !scope.trim()) throw new TypeError('scope must be a non-empty string of space-separated scopes.')
      const iat = Math.floor(now() / 1000)
      let ms: number | undefined = defaultLifetime
      if (expires_in === null) ms = undefined
      else if (expires_in !== undefined) ms = lifetimeOf(expires_in)
      const claims = {
        scope: scope.trim(),
        tenant_scope: 'published/production',
        tenant_id: tenantId,
        iat,
        ...(ms === undefined ? {} : { exp: iat + Math.round(ms / 1000) }),
        jti: crypto.randomUUID(),
      }
      return { token: await signHs256(claims, secret) }
    },
  }
  return issuer
}
