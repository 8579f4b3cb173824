import { SCOPES, type Feature } from '../diagnose'
import { IssueTokenError } from './errors'

// Courier's client scopes (https://www.courier.com/docs/reference/auth/issue-token). `user_id:` is
// added from the user id, never taken from a list, so nothing can widen whose data a token reads.
const KNOWN = /^(inbox:read:messages|inbox:write:events|read:preferences|write:preferences|read:user-tokens|write:user-tokens|read:messages|(read|write):brands(:[\w-]+)?)$/

/**
 * Refuses a user id that could smuggle scopes or break the scope string: empty, with whitespace,
 * control or invisible characters, or absurdly long. `"alice inbox:write:messages"` must never become two scopes.
 */
export function assertUserId(userId: unknown): asserts userId is string {
  // Whitespace, control characters (C0, DEL, C1) and invisible format characters such as U+200B.
  if (typeof userId !== 'string' || !userId || userId.length > 256 || /[\s\p{Cc}\p{Cf}]/u.test(userId)) {
    throw new IssueTokenError(
      'invalid-input',
      `Refusing user id ${JSON.stringify(userId)}: it must be a non-empty string without whitespace or control characters.`,
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
  for (const feature of features) {
    if (!Object.hasOwn(SCOPES, feature)) throw new IssueTokenError('invalid-input', `Unknown feature ${JSON.stringify(feature)}: use ${Object.keys(SCOPES).join(', ')}.`)
  }
  for (const scope of scopes) {
    if (typeof scope !== 'string' || !KNOWN.test(scope)) {
      throw new IssueTokenError(
        'invalid-input',
        `Refusing scope ${JSON.stringify(scope)}: not one of Courier's client scopes (inbox:read:messages, inbox:write:events, read:preferences, write:preferences, read:user-tokens, write:user-tokens, read:messages, read:brands[:id], write:brands[:id]). The user_id: scope comes from userId.`,
      )
    }
  }
  return [...new Set([`user_id:${userId}`, ...features.flatMap((feature) => SCOPES[feature]), ...scopes])].join(' ')
}
