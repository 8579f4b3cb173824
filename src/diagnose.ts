import { DEFAULT_REFRESH_MARGIN_MS } from './constants'
import { decodeToken, type TokenInfo } from './token'

export type Feature = 'inbox' | 'preferences' | 'push'

/** The scopes each Courier feature needs; the SDK connects without them but shows nothing. */
export const SCOPES: Record<Feature, readonly string[]> = {
  inbox: ['inbox:read:messages', 'inbox:write:events'],
  preferences: ['read:preferences', 'write:preferences'],
  push: ['write:user-tokens'],
}

export type DiagnosisCode = 'invalid-token' | 'expired' | 'no-expiry' | 'short-lived' | 'missing-scope' | 'missing-user' | 'user-mismatch'

export interface Diagnosis {
  code: DiagnosisCode
  /** What is wrong and how to fix it, for a person. */
  message: string
  /** For `missing-scope`: the feature and the scopes it lacks. */
  feature?: Feature
  scopes?: string[]
}

export interface DiagnoseOptions {
  /** Features the token must be good for. @default ['inbox'] */
  features?: readonly Feature[] | undefined
  /** The signed-in user the token must belong to. */
  userId?: string | undefined
  /** The time to judge expiry at, in ms. @default Date.now() */
  now?: number | undefined
  /** A token living less than twice this is reported `short-lived`. @default DEFAULT_REFRESH_MARGIN_MS */
  refreshMargin?: number | undefined
}

/**
 * @internal The checks on a decoded token; the manager runs them with skew-corrected times.
 * Both callers have already passed `features` through assertFeatures.
 */
export function diagnose(info: TokenInfo, options: DiagnoseOptions = {}): Diagnosis[] {
  const { features = ['inbox'], userId, now = Date.now(), refreshMargin = DEFAULT_REFRESH_MARGIN_MS } = options
  const { expiresAt, issuedAt = NaN, userId: tokenUser, scopes } = info
  const found: Diagnosis[] = []
  const add = (code: DiagnosisCode, message: string) => found.push({ code, message })

  if (expiresAt === undefined) add('no-expiry', 'No exp claim, so it is never refreshed: issue it with expires_in.')
  else if (expiresAt <= now) add('expired', `Expired ${Math.round((now - expiresAt) / 1000)} s ago: fetch a new token.`)
  else if (expiresAt - issuedAt < 2 * refreshMargin)
    add(
      'short-lived',
      `Lives ${Math.round((expiresAt - issuedAt) / 1000)} s, under twice refreshMargin: issue it with a longer expires_in.`,
    )
  if (!tokenUser) add('missing-user', 'No user_id:<id> scope: add it to the scope of your Issue Token call.')
  else if (userId !== undefined && tokenUser !== userId)
    add('user-mismatch', `For user ${tokenUser}, not ${userId}: issue it for the signed-in user.`)
  for (const feature of features) {
    const missing = SCOPES[feature].filter((scope) => !scopes.includes(scope))
    if (missing[0]) {
      found.push({
        code: 'missing-scope',
        message: `${feature} needs ${missing.join(' ')}: add them to the scope of your Issue Token call.`,
        feature,
        scopes: missing,
      })
    }
  }
  return found
}

/**
 * Explains in plain words what is wrong with a token before Courier shows an empty inbox:
 * expired, no expiry, too short-lived, missing scopes, no user or the wrong user.
 * Returns an empty array for a good token.
 * @example diagnoseToken(jwt, { features: ['inbox', 'preferences'], userId: 'alice' })
 */
export function diagnoseToken(jwt: string, options?: DiagnoseOptions): Diagnosis[] {
  assertFeatures(options?.features) // a programming error, even for a bad token
  try {
    return diagnose(decodeToken(jwt), options)
  } catch (error) {
    // decodeToken's invalid-token error: diagnose itself throws nothing once the features are checked.
    return [{ code: 'invalid-token', message: (error as Error).message }]
  }
}

/** @internal Throws a TypeError naming the valid features, at the call site that passed a wrong one. */
export function assertFeatures(features: readonly string[] = []): void {
  for (const feature of features) {
    if (!Object.hasOwn(SCOPES, feature)) throw new TypeError(`Unknown feature "${feature}"; use ${Object.keys(SCOPES)}.`)
  }
}
