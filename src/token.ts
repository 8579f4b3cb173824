import { jwtDecode } from 'jwt-decode'
import { TokenManagerError } from './errors'

/** Claims of a JWT from Courier's Issue Token endpoint. Only `scope` and `iat` are always there. */
export interface CourierClaims {
  /** Space-separated scopes, e.g. `user_id:alice inbox:read:messages inbox:write:events`. */
  scope?: string
  /** Courier workspace the token belongs to. Not the `tenantId` sign-in option of courier-js. */
  tenant_id?: string
  tenant_scope?: string
  /** Seconds since the epoch. Absent when the token was issued without `expires_in`. */
  exp?: number
  iat?: number
  jti?: string
  [claim: string]: unknown
}

export interface TokenInfo {
  /** The JWT itself: pass it to Courier, never log it. */
  token: string
  claims: CourierClaims
  /** When the token expires, in ms. From the manager: on the local clock, corrected for clock skew. */
  expiresAt?: number | undefined
  /** When the token was issued, in ms, on the same clock as `expiresAt`. */
  issuedAt?: number | undefined
  /** The user from the first `user_id:<id>` scope. */
  userId?: string | undefined
  scopes: string[]
  /** The `tenant_id` claim: the Courier workspace, not a courier-js `tenantId`. */
  tenantId?: string | undefined
}

// Seconds to ms; anything but a number stays as it is, for isTime to refuse.
const ms = (seconds: unknown) => (typeof seconds === 'number' ? seconds * 1000 : seconds)

/** @internal A moment in ms, or none: a finite number, in the token's claims and in messages between tabs. */
export const isTime = (value: unknown): value is number | undefined => value === undefined || Number.isFinite(value)

/**
 * Reads a Courier JWT without checking its signature (only Courier holds the secret).
 * Times are the claims as written, in ms; the token manager places them on the local clock.
 * @throws {TokenManagerError} code `invalid-token` when `jwt` is not a JWT or its claims are malformed.
 * @example decodeToken(jwt).scopes // ['user_id:alice', 'inbox:read:messages', …]
 */
export function decodeToken(jwt: string): TokenInfo {
  let claims: CourierClaims | undefined
  let cause: unknown
  try {
    // The signature may be empty: we never check it.
    if (/^[\w-]+\.[\w-]+\.[\w-]*$/.test(jwt)) claims = jwtDecode<CourierClaims>(jwt)
  } catch (error) {
    cause = error // its message can quote the payload, so it stays out of ours
  }
  const { exp, iat, scope, tenant_id } = claims ?? {}
  const expiresAt = ms(exp)
  const issuedAt = ms(iat)
  // Times must stay finite in milliseconds too: exp: 1e308 is a number, but not a moment.
  if (typeof claims !== 'object' || !claims || Array.isArray(claims) || !isTime(expiresAt) || !isTime(issuedAt)) {
    throw new TokenManagerError('invalid-token', 'Not a JWT, or its exp or iat is not a number.', { cause })
  }
  const scopes = typeof scope === 'string' ? scope.split(/\s+/).filter(Boolean) : []
  return {
    token: jwt,
    claims: claims!,
    expiresAt,
    issuedAt,
    userId: scopes.find((s) => s.startsWith('user_id:'))?.slice(8) || undefined,
    scopes,
    tenantId: typeof tenant_id === 'string' ? tenant_id : undefined,
  }
}
