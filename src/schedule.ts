// Pure scheduling math: no timers, no globals. `random` is a number in [0, 1), from Math.random() in production.
import { CLOCK_CHECK_INTERVAL_MS } from './constants'
import type { TokenInfo } from './token'

/**
 * A timer delay: never negative, and never past CLOCK_CHECK_INTERVAL_MS, so the clock is re-read
 * after a sleep that fired no event (which also keeps far below setTimeout's 2^31−1 ms limit).
 */
export const clampDelay = (ms: number): number => Math.min(Math.max(ms, 0), CLOCK_CHECK_INTERVAL_MS)

/**
 * Places a token's times on the local clock, never later than they really are. `iat` and the
 * response's `Date` header are server time, whole seconds, no earlier than a second before the
 * server answered; the later one, counted from when the request *started*, minus that second,
 * bounds the expiry from below. So a client clock hours off, a token the backend cached, request
 * latency and second-resolution claims can only make a token expire a little early, never late.
 * Without a `Date` header, `iat` stands for "now", and a token the backend reused would have its
 * age added to its life: then its own `exp`, while still ahead on the local clock when the answer
 * arrived (`arrivedAt`), is the limit (clocks that agree, the common case). Only a token dead by the
 * local clock (a clock far ahead) is given its lifetime from the request's start.
 * An `expiresIn` from the backend (seconds left, as OAuth's `expires_in`) needs no client clock:
 * counted from the request's start, it is never late. It is read as at most the token's lifetime,
 * `exp − iat` (a backend answering milliseconds must not make a token live 1000 times longer), so it
 * needs both claims; with a `Date` header as well, the earlier placement wins (they differ by a second
 * when both are right, and a backend that echoes its configured lifetime for a cached token is caught).
 */
export function placeOnLocalClock(
  info: TokenInfo,
  startedAt: number,
  serverTime?: number,
  arrivedAt = startedAt,
  expiresIn?: number,
): TokenInfo {
  const { expiresAt, issuedAt } = info
  // iat: 0 is a placeholder, not 1970: read as a time, it would stretch the token's life to decades.
  const serverNow = Math.max(issuedAt || -Infinity, serverTime || -Infinity)
  let offset = serverNow > -Infinity ? startedAt - serverNow - 1000 : 0
  if (!serverTime && expiresAt! > arrivedAt) offset = Math.min(offset, 0)
  if (expiresIn! >= 0 && expiresAt && issuedAt) {
    const relative = startedAt + Math.min(expiresIn! * 1000, expiresAt - issuedAt) - expiresAt
    offset = serverTime ? Math.min(offset, relative) : relative
  }
  const shift = (time?: number) => time && time + offset
  return { ...info, expiresAt: shift(expiresAt), issuedAt: shift(issuedAt) }
}

/**
 * When to refresh a token received at `receivedAt`: a random moment in
 * `[expiresAt − 1.5·m, expiresAt − m]`, where `m` is the margin but at most half the remaining life.
 * Infinity for a token without expiry.
 */
export function refreshTime(expiresAt: number | undefined, receivedAt: number, margin: number, random: number): number {
  if (expiresAt === undefined) return Infinity
  const m = Math.max(0, Math.min(margin, (expiresAt - receivedAt) / 2))
  return expiresAt - m - (random * m) / 2
}

/**
 * A number in [0, 1) drawn from the token's signature: the refresh jitter. Every tab holding the
 * same token picks the same moment, while different users and devices still spread out.
 */
export const tokenFraction = (token: string): number => {
  let hash = 0
  for (const char of token.slice(-16)) hash = (hash * 31 + char.charCodeAt(0)) % 999_983
  return hash / 999_983
}
