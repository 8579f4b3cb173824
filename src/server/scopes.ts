import { SCOPES, type Feature } from '../diagnose'
import { IssueTokenError, quote } from './errors'

// Courier's client scopes (https://www.courier.com/docs/reference/auth/issue-token). `user_id:` is
// added from the user id, never taken from a list, so nothing can widen whose data a token reads.
const KNOWN =
  /^(inbox:read:messages|inbox:write:events|read:preferences|write:preferences|read:user-tokens|write:user-tokens|read:messages|(read|write):brands(:[\w-]+)?)$/

/**
 * Refuses a user id that could smuggle scopes, break the scope string or pass review unseen: empty,
 * over 256 characters, with whitespace, control, format or other invisible characters (U+200B, U+3164,
 * U+2800), a `*`, or starting with `user_id:`. `"alice inbox:write:messages"` must never become two scopes.
 */
export function assertUserId(userId: unknown): asserts userId is string {
  // Whitespace, control characters (C0, DEL, C1), format characters such as U+200B, the other characters
  // that render as nothing (Default_Ignorable: U+3164 HANGUL FILLER…) and the blank braille pattern.
  const invisible = /[\s\p{Cc}\p{Cf}\p{Default_Ignorable_Code_Point}\u2800]/u
  // `*` may read as a wildcard and `user_id:user_id:bob` as another user's scope: neither is an id.
  if (
    typeof userId !== 'string' ||
    !userId ||
    userId.length > 256 ||
    invisible.test(userId) ||
    userId.includes('*') ||
    userId.startsWith('user_id:')
  ) {
    throw new IssueTokenError(
      'invalid-input',
      `Refusing user id ${quote(userId)}: it must be 1 to 256 characters, without whitespace, control or invisible characters, without "*", and not start with "user_id:".`,
    )
  }
}

export interface ScopeOptions {
  userId: string
  /** Features the token is for: their scopes are added. @default ['inbox'] */
  features?: readonly Feature[] | undefined
  /** More scopes, each one of Courier's known client scopes. */
  scopes?: readonly string[] | undefined
}

/** `user_id:<id>` followed by the features' and extra scopes, each once. */
export function buildScope({ userId, features = ['inbox'], scopes = [] }: ScopeOptions): string {
  assertUserId(userId)
  // A string would be read a character at a time ("Refusing scope \"i\"").
  if (!Array.isArray(features as unknown))
    throw new TypeError(`features must be an array, such as ['inbox', 'preferences'], not ${quote(features)}.`)
  if (!Array.isArray(scopes as unknown)) throw new TypeError(`scopes must be an array, such as ['read:brands'], not ${quote(scopes)}.`)
  for (const feature of features) {
    if (!Object.hasOwn(SCOPES, feature))
      throw new IssueTokenError('invalid-input', `Unknown feature ${quote(feature)}: use ${Object.keys(SCOPES).join(', ')}.`)
  }
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !KNOWN.test(scope)) {
      throw new IssueTokenError(
        'invalid-input',
        `Refusing scope ${quote(scope)}: not one of Courier's client scopes (inbox:read:messages, inbox:write:events, read:preferences, write:preferences, read:user-tokens, write:user-tokens, read:messages, read:brands[:id], write:brands[:id]). The user_id: scope comes from userId.`,
      )
    }
  }
  return [...new Set([`user_id:${userId}`, ...features.flatMap((feature) => SCOPES[feature]), ...scopes])].join(' ')
}
