export type TokenManagerErrorCode = 'network' | 'timeout' | 'http' | 'invalid-response' | 'invalid-token' | 'unauthenticated' | 'stopped'

export interface TokenManagerErrorOptions {
  cause?: unknown
  /** HTTP status of the token endpoint's answer, for `http` and `unauthenticated`. */
  status?: number | undefined
  /** Milliseconds the endpoint asked us to wait (`Retry-After`). */
  retryAfter?: number | undefined
}

/** The one error the token manager throws, rejects with, or emits. */
export class TokenManagerError extends Error {
  declare readonly code: TokenManagerErrorCode
  /** HTTP status of the token endpoint's answer, for `http` and `unauthenticated`. */
  declare readonly status?: number | undefined
  /** Milliseconds the endpoint asked us to wait (`Retry-After`). */
  declare readonly retryAfter?: number | undefined

  constructor(code: TokenManagerErrorCode, message: string, options?: TokenManagerErrorOptions) {
    super(message, options)
    Object.assign(this, options, { name: 'TokenManagerError', code })
  }
}

/** True for a `TokenManagerError`, also one from another copy of the package or another realm. */
export const isTokenManagerError = (error: unknown): error is TokenManagerError =>
  (error as Error | undefined)?.name === 'TokenManagerError'
