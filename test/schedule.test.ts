import { describe, expect, it } from 'vitest'
import { CLOCK_CHECK_INTERVAL_MS } from '../src/constants'
import { clampDelay, placeOnLocalClock, refreshTime, tokenFraction } from '../src/schedule'
import type { TokenInfo } from '../src/token'
import { makeJwt } from './helpers/jwt'

const MINUTE = 60_000
const HOUR = 60 * MINUTE

/** Server time when the token endpoint answered. */
const SERVER_NOW = Date.parse('2025-06-01T12:00:00Z')

const tokenInfo = (issuedAt: number | undefined, expiresAt: number | undefined): TokenInfo => ({
  token: 'header.payload.signature',
  claims: { scope: 'user_id:alice' },
  issuedAt,
  expiresAt,
  userId: 'alice',
  scopes: ['user_id:alice'],
})

const SECOND = 1000

describe('clampDelay', () => {
  it.each([
    { ms: 0, delay: 0 },
    { ms: 1_500, delay: 1_500 },
    { ms: -1, delay: 0 },
    { ms: -Infinity, delay: 0 },
    { ms: 60_000, delay: 60_000 },
    { ms: 60_001, delay: 60_000 },
    { ms: 30 * 24 * HOUR, delay: 60_000 },
    { ms: Infinity, delay: 60_000 },
  ])('turns $ms ms into a timer delay of $delay ms', ({ ms, delay }) => {
    expect(clampDelay(ms)).toBe(delay)
  })

  it('caps at CLOCK_CHECK_INTERVAL_MS, far below setTimeout’s 2^31 − 1 ms', () => {
    expect(CLOCK_CHECK_INTERVAL_MS).toBe(60_000)
    expect(CLOCK_CHECK_INTERVAL_MS).toBeLessThan(2 ** 31 - 1)
  })
})

describe('placeOnLocalClock', () => {
  // Times are counted from when the request started, a second early: iat and Date are whole seconds.
  it.each([
    { clock: 'an hour fast', skew: HOUR },
    { clock: 'an hour slow', skew: -HOUR },
    { clock: 'right', skew: 0 },
  ])('places expiry on the local clock when the client clock is $clock', ({ skew }) => {
    const startedAt = SERVER_NOW + skew
    const info = tokenInfo(SERVER_NOW, SERVER_NOW + HOUR)

    const placed = placeOnLocalClock(info, startedAt, SERVER_NOW)

    expect(placed.issuedAt).toBe(startedAt - SECOND)
    expect(placed.expiresAt).toBe(startedAt + HOUR - SECOND)
  })

  it('keeps only the remaining life of a token the backend cached for 50 minutes', () => {
    const startedAt = SERVER_NOW + 7_000 // client clock 7 s fast
    const info = tokenInfo(SERVER_NOW - 50 * MINUTE, SERVER_NOW + 10 * MINUTE)

    const placed = placeOnLocalClock(info, startedAt, SERVER_NOW)

    expect(placed.expiresAt).toBe(startedAt + 10 * MINUTE - SECOND)
    expect(placed.issuedAt).toBe(startedAt - 50 * MINUTE - SECOND)
  })

  it.each([
    { header: 'NaN (unparseable Date header)', serverTime: NaN },
    { header: 'undefined (no Date header)', serverTime: undefined },
  ])('uses iat as server time when the Date header is $header', ({ serverTime }) => {
    const startedAt = SERVER_NOW - 2 * HOUR
    const info = tokenInfo(SERVER_NOW, SERVER_NOW + HOUR)

    const placed = placeOnLocalClock(info, startedAt, serverTime)

    expect(placed.issuedAt).toBe(startedAt - SECOND)
    expect(placed.expiresAt).toBe(startedAt + HOUR - SECOND)
  })

  // A backend that reuses tokens, reached without a Date header (fetchToken, or cross-origin without
  // Access-Control-Expose-Headers: Date): iat alone made a token reused at 9 minutes old look new.
  it.each([
    { clocks: 'agree', skew: 0 },
    { clocks: 'differ by 5 minutes, the client ahead', skew: 5 * MINUTE },
  ])(
    'never places a reused token’s expiry after its own exp without a Date header, while that exp lies ahead: clocks that $clocks',
    ({ skew }) => {
      const startedAt = SERVER_NOW + skew
      const info = tokenInfo(SERVER_NOW - 9 * MINUTE, SERVER_NOW + 10 * MINUTE)

      const placed = placeOnLocalClock(info, startedAt)

      expect(placed.expiresAt).toBe(SERVER_NOW + 10 * MINUTE)
      expect(placed.issuedAt).toBe(SERVER_NOW - 9 * MINUTE)
    },
  )

  it('counts the lifetime from the request’s start, without a Date header, only for a token dead by the local clock (a clock far ahead)', () => {
    const startedAt = SERVER_NOW + 5 * HOUR
    const info = tokenInfo(SERVER_NOW, SERVER_NOW + HOUR)

    expect(placeOnLocalClock(info, startedAt).expiresAt).toBe(startedAt + HOUR - SECOND)
  })

  it('uses iat when it is later than the Date header', () => {
    const startedAt = SERVER_NOW + 3 * HOUR
    const info = tokenInfo(SERVER_NOW, SERVER_NOW + HOUR)

    const placed = placeOnLocalClock(info, startedAt, SERVER_NOW - 5 * MINUTE) // backend clock behind Courier's

    expect(placed.expiresAt).toBe(startedAt + HOUR - SECOND)
  })

  it('uses the Date header for a token without iat', () => {
    const startedAt = SERVER_NOW + HOUR
    const info = tokenInfo(undefined, SERVER_NOW + 30 * MINUTE)

    const placed = placeOnLocalClock(info, startedAt, SERVER_NOW)

    expect(placed.expiresAt).toBe(startedAt + 30 * MINUTE - SECOND)
    expect(placed.issuedAt).toBeUndefined()
  })

  it('keeps expiresAt undefined for a token without exp and still shifts issuedAt', () => {
    const startedAt = SERVER_NOW + HOUR
    const info = tokenInfo(SERVER_NOW - MINUTE, undefined)

    const placed = placeOnLocalClock(info, startedAt, SERVER_NOW)

    expect(placed.expiresAt).toBeUndefined()
    expect(placed.issuedAt).toBe(startedAt - MINUTE - SECOND)
  })

  it('leaves the times alone when neither iat nor the Date header is known', () => {
    const info = tokenInfo(undefined, SERVER_NOW + HOUR)

    const placed = placeOnLocalClock(info, SERVER_NOW + 5 * HOUR)

    expect(placed.expiresAt).toBe(SERVER_NOW + HOUR)
    expect(placed.issuedAt).toBeUndefined()
  })

  // Some issuers write iat: 0 as a placeholder. Read as 1970, it would stretch the token's life to
  // decades; without a Date header (fetchToken) nothing else would correct it.
  it('treats iat: 0 as unknown: a placeholder, not a token issued in 1970', () => {
    const info = tokenInfo(0, SERVER_NOW + HOUR)

    expect(placeOnLocalClock(info, SERVER_NOW + 5 * HOUR).expiresAt).toBe(SERVER_NOW + HOUR)
    expect(placeOnLocalClock(info, SERVER_NOW + 5 * HOUR, SERVER_NOW).expiresAt).toBe(SERVER_NOW + 6 * HOUR - SECOND)
  })

  describe('with expiresIn from the backend', () => {
    // A token issued 9 minutes ago for 10 (the backend reused it), 1 minute left by the server's word.
    const reused = tokenInfo(SERVER_NOW - 9 * MINUTE, SERVER_NOW + MINUTE)

    // With a Date header as well, the earlier of the two placements: the Date header's, a second early.
    it.each([
      { clock: 'agrees', skew: 0, serverTime: undefined, early: 0 },
      { clock: 'is an hour behind, with a Date header', skew: -HOUR, serverTime: SERVER_NOW, early: SECOND },
      { clock: 'is an hour ahead, without a Date header', skew: HOUR, serverTime: undefined, early: 0 },
      { clock: 'is a day ahead, with a Date header', skew: 24 * HOUR, serverTime: SERVER_NOW, early: SECOND },
    ])('counts the expiry from the request’s start whatever the clock says: the client clock $clock', ({ skew, serverTime, early }) => {
      const startedAt = SERVER_NOW + skew

      const placed = placeOnLocalClock(reused, startedAt, serverTime, startedAt + 200, 60)

      expect(placed.expiresAt).toBe(startedAt + MINUTE - early)
      // Both times move by one offset: the lifetime stays the claims' own.
      expect(placed.expiresAt! - placed.issuedAt!).toBe(10 * MINUTE)
    })

    it('reads an expiresIn longer than the token’s whole life as that life: a backend answering milliseconds does not make it live 1000 times longer', () => {
      const placed = placeOnLocalClock(reused, SERVER_NOW, undefined, SERVER_NOW, 60_000)

      expect(placed.expiresAt).toBe(SERVER_NOW + 10 * MINUTE)
      expect(placed.issuedAt).toBe(SERVER_NOW)
    })

    it('takes expiresIn: 0 as a token dead on arrival', () => {
      expect(placeOnLocalClock(reused, SERVER_NOW, SERVER_NOW, SERVER_NOW, 0).expiresAt).toBe(SERVER_NOW)
    })

    it('never places a token later than the Date header does: a backend that echoes its configured lifetime for a cached token is caught', () => {
      // Issued 50 minutes ago for an hour: 10 minutes left, though the backend says 3600 s.
      const cached = tokenInfo(SERVER_NOW - 50 * MINUTE, SERVER_NOW + 10 * MINUTE)

      expect(placeOnLocalClock(cached, SERVER_NOW, SERVER_NOW, SERVER_NOW, 3600).expiresAt).toBe(SERVER_NOW + 10 * MINUTE - SECOND)
    })

    it.each([
      ['no iat', undefined],
      ['iat: 0, a placeholder', 0],
    ])('means nothing for a token with %s: its lifetime, the bound on expiresIn, is unknown', (_, iat) => {
      const noIat = tokenInfo(iat, SERVER_NOW + HOUR)

      // A backend answering milliseconds (3,600,000 for an hour) cannot make it live 41 days.
      expect(placeOnLocalClock(noIat, SERVER_NOW, undefined, SERVER_NOW, 3_600_000).expiresAt).toBe(SERVER_NOW + HOUR)
    })

    it('means nothing for a token without exp: it never expires', () => {
      const forever = tokenInfo(SERVER_NOW, undefined)

      expect(placeOnLocalClock(forever, SERVER_NOW + HOUR, undefined, SERVER_NOW + HOUR, 60).expiresAt).toBeUndefined()
    })
  })

  it('returns a copy with the other fields unchanged and does not mutate its input', () => {
    const info = tokenInfo(SERVER_NOW, SERVER_NOW + HOUR)
    const before = structuredClone(info)

    const placed = placeOnLocalClock(info, SERVER_NOW + HOUR, SERVER_NOW)

    expect(info).toEqual(before)
    expect(placed).not.toBe(info)
    expect(placed).toEqual({ ...before, issuedAt: SERVER_NOW + HOUR - SECOND, expiresAt: SERVER_NOW + 2 * HOUR - SECOND })
  })
})

describe('refreshTime', () => {
  const receivedAt = SERVER_NOW
  const margin = 2 * MINUTE

  it('is Infinity for a token without expiry', () => {
    expect(refreshTime(undefined, receivedAt, margin, 0.5)).toBe(Infinity)
  })

  it.each([
    { random: 0, before: margin },
    { random: 0.5, before: 1.25 * margin },
    { random: 1, before: 1.5 * margin },
  ])('refreshes a one-hour token $before ms before expiry when random is $random', ({ random, before }) => {
    const expiresAt = receivedAt + HOUR

    expect(refreshTime(expiresAt, receivedAt, margin, random)).toBe(expiresAt - before)
  })

  it.each([
    { random: 0, before: 30_000 },
    { random: 1, before: 45_000 },
  ])('uses half the remaining life as margin for a 60 s token: $before ms before expiry when random is $random', ({ random, before }) => {
    const expiresAt = receivedAt + 60_000

    expect(refreshTime(expiresAt, receivedAt, margin, random)).toBe(expiresAt - before)
  })

  it.each([
    { what: 'expired 10 s before arrival', expiresIn: -10_000 },
    { what: 'expiring on arrival', expiresIn: 0 },
  ])('refreshes at once a token $what, never NaN', ({ expiresIn }) => {
    const expiresAt = receivedAt + expiresIn

    for (const random of [0, 0.5, 1]) {
      const at = refreshTime(expiresAt, receivedAt, margin, random)
      expect(at).not.toBeNaN()
      expect(at).toBeLessThanOrEqual(receivedAt)
    }
  })

  it('refreshes at expiry with a margin of zero', () => {
    const expiresAt = receivedAt + HOUR

    expect(refreshTime(expiresAt, receivedAt, 0, 1)).toBe(expiresAt)
  })
})

describe('tokenFraction', () => {
  // Deterministic tokens (fixed claims, so fixed signatures): the test cannot pass or fail by chance.
  const tokens = Array.from({ length: 200 }, (_, i) =>
    makeJwt({ scope: 'user_id:alice', iat: 1_700_000_000, exp: 1_700_003_600, jti: String(i) }),
  )

  it('gives the same token the same number, in [0, 1)', () => {
    for (const token of tokens) {
      expect(tokenFraction(token)).toBe(tokenFraction(token))
      expect(tokenFraction(token)).toBeGreaterThanOrEqual(0)
      expect(tokenFraction(token)).toBeLessThan(1)
    }
  })

  it('spreads different tokens over the whole range', () => {
    const fractions = tokens.map(tokenFraction)
    expect(new Set(fractions).size).toBe(tokens.length)
    // Each fifth of [0, 1) gets some of 200 tokens.
    for (let fifth = 0; fifth < 5; fifth++) expect(fractions.some((f) => f >= fifth / 5 && f < (fifth + 1) / 5)).toBe(true)
  })
})

describe('placeOnLocalClock never places expiry late', () => {
  it.each([
    { case: 'a fresh token, fast answer', mintedAfterStart: 0, latency: 20 },
    { case: 'a fresh token, slow answer', mintedAfterStart: 4_500, latency: 9_000 },
    { case: 'minted just before a second ticks over', mintedAfterStart: 999, latency: 1_200 },
  ])('$case', ({ mintedAfterStart, latency }) => {
    // The server clock runs 37 minutes and 0.4 s ahead of the client's.
    const skew = 37 * MINUTE + 400
    for (let startedAt = 1_000_000; startedAt < 1_004_000; startedAt += 137) {
      const minted = startedAt + mintedAfterStart + skew // server time
      const iat = Math.floor(minted / 1000) * 1000
      const info = tokenInfo(iat, iat + HOUR)
      const answered = Math.floor((startedAt + latency + skew) / 1000) * 1000 // the Date header
      const realExpiry = iat + HOUR - skew // the moment Courier starts refusing it, on the client's clock
      const placed = placeOnLocalClock(info, startedAt, answered)
      expect(placed.expiresAt!).toBeLessThanOrEqual(realExpiry)
      expect(realExpiry - placed.expiresAt!).toBeLessThanOrEqual(latency + 2 * SECOND)
    }
  })
})
