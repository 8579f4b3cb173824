import { createHmac, randomUUID } from 'node:crypto'

export const TEST_SECRET = 'test-secret'

const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** Mints a real HS256-signed JWT with exactly these claims. */
export function makeJwt(claims: Record<string, unknown>, secret = TEST_SECRET): string {
  const input = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`
}

export const INBOX_SCOPES = 'inbox:read:messages inbox:write:events'

export interface CourierJwtOptions {
  userId?: string | null
  /** Seconds from `iat` to `exp`; null for a token without exp. @default 3600 */
  lifetime?: number | null
  /** Server time of issue, in ms. @default Date.now() */
  issuedAt?: number
  /** Scopes after the user_id scope. @default INBOX_SCOPES */
  scopes?: string
  [claim: string]: unknown
}

/** A token shaped like Courier's: scope with user_id, tenant claims, iat, exp and jti. */
export function courierJwt({
  userId = 'alice',
  lifetime = 3600,
  issuedAt = Date.now(),
  scopes = INBOX_SCOPES,
  ...extra
}: CourierJwtOptions = {}): string {
  const iat = Math.floor(issuedAt / 1000)
  return makeJwt({
    scope: [userId === null ? '' : `user_id:${userId}`, scopes].filter(Boolean).join(' '),
    tenant_scope: 'published/production',
    tenant_id: 'tenant-1',
    iat,
    ...(lifetime === null ? {} : { exp: iat + lifetime }),
    jti: randomUUID(),
    ...extra,
  })
}
