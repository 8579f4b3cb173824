export type IssueTokenErrorCode =
  /** The user id, a scope or expiresIn was refused before any request. */
  | 'invalid-input'
  /** Courier refused the API key (401): wrong key, or a key of another environment. */
  | 'unauthorized'
  /** Courier refused the request (403) or its content (other 4xx). */
  | 'rejected'
  /** Courier asked to slow down (429). */
  | 'rate-limited'
  /** Courier failed (5xx) or could not be reached. */
  | 'unavailable'
  /** Courier answered without a token, or with one for another user (or none, or several). */
  | 'invalid-response'

/** What issuing a token can fail with. Never carries the API key. */
export class IssueTokenError extends Error {
  declare readonly code: IssueTokenErrorCode
  /** Courier's HTTP status, when it answered. */
  declare readonly status?: number | undefined
  /** Milliseconds Courier asked to wait (`Retry-After`). */
  declare readonly retryAfter?: number | undefined

  constructor(code: IssueTokenErrorCode, message: string, options: { cause?: unknown; status?: number; retryAfter?: number } = {}) {
    super(message, { cause: options.cause })
    Object.assign(this, { name: 'IssueTokenError', code, status: options.status, retryAfter: options.retryAfter })
  }
}

/** A value as a message may quote it: JSON, at most 40 characters of it (a 1 MB id is not worth logging whole). */
export const quote = (value: unknown): string => {
  const text = typeof value === 'number' ? String(value) : (JSON.stringify(value) ?? String(value))
  return text.length > 40 ? `${text.slice(0, 40)}…` : text
}

export const isIssueTokenError = (error: unknown): error is IssueTokenError => (error as Error | undefined)?.name === 'IssueTokenError'
