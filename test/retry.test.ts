import { describe, expect, it } from 'vitest'
import { MIN_REFRESH_INTERVAL_MS, MIN_RETRY_DELAY_MS } from '../src/constants'
import { TokenManagerError, type TokenManagerErrorCode } from '../src/errors'
import { classify, codeForStatus, nextAttemptIn, onlineAgain, parseRetryAfter, retryDelay, stopWaiting } from '../src/retry'

const MINUTE = 60_000
const HOUR = 60 * MINUTE

const failure = (code: TokenManagerErrorCode, status?: number, retryAfter?: number) =>
  new TokenManagerError(code, 'x', { status, retryAfter })

describe('classify', () => {
  it.each<[string, TokenManagerError, string]>([
    ['a network error', failure('network'), 'lost'],
    ['a timeout', failure('timeout'), 'lost'],
    ['a 500', failure('http', 500), 'transient'],
    ['a 503', failure('http', 503), 'transient'],
    ['a 408', failure('http', 408), 'transient'],
    ['a 429', failure('http', 429), 'transient'],
    ['a 404', failure('http', 404), 'fatal'],
    ['an HTML page (invalid-response)', failure('invalid-response', 200), 'fatal'],
    ['a token already expired (invalid-token)', failure('invalid-token'), 'fatal'],
    ['a 401', failure('unauthenticated', 401), 'sign-out'],
    ['a sign-out in another tab', failure('unauthenticated'), 'sign-out'],
  ])('reads %s as %s', (_, error, kind) => {
    expect(classify(error)).toBe(kind)
  })
})

describe('codeForStatus', () => {
  it.each<[number | undefined, TokenManagerErrorCode]>([
    [401, 'unauthenticated'],
    [403, 'unauthenticated'],
    [404, 'http'],
    [500, 'http'],
    [0, 'network'],
    [undefined, 'network'],
    [Number.NaN, 'network'],
  ])('maps %s to %s', (status, code) => {
    expect(codeForStatus(status)).toBe(code)
  })
})

describe('nextAttemptIn', () => {
  const policy = { baseDelay: 1_000, maxDelay: 120_000 }

  it('spends no retry on a request lost while offline: going online starts the next fetch', () => {
    expect(nextAttemptIn(failure('network'), 0, policy, false, 1)).toBeUndefined()
    expect(nextAttemptIn(failure('timeout'), 0, policy, false, 1)).toBeUndefined()
  })

  it('gives a server that answered its backoff and Retry-After, offline or not', () => {
    expect(nextAttemptIn(failure('http', 503, 30_000), 0, policy, false, 0)).toBe(30_000)
    expect(nextAttemptIn(failure('http', 503), 1, policy, true, 1)).toBe(7_000)
    expect(nextAttemptIn(failure('network'), 0, policy, true, 0)).toBe(MIN_RETRY_DELAY_MS)
  })
})

describe('onlineAgain', () => {
  it('moves a lost request’s retry to the floor after the last request', () => {
    expect(onlineAgain(failure('network'), 100_000, 10_000)).toBe(10_000 + MIN_REFRESH_INTERVAL_MS)
  })

  it('keeps an earlier time, and every other failure’s time', () => {
    expect(onlineAgain(failure('timeout'), 10_500, 10_000)).toBe(10_500)
    expect(onlineAgain(failure('http', 503), 100_000, 10_000)).toBe(100_000)
    expect(onlineAgain(undefined, 100_000, 10_000)).toBe(100_000)
  })
})

describe('stopWaiting', () => {
  const policy = { limit: 3, maxDelay: 120_000 }

  it('waits through a failure that may pass, within limit retries and maxDelay', () => {
    expect(stopWaiting(failure('network'), 1, policy, 6_000)).toBe(false)
    expect(stopWaiting(failure('http', 503), 3, policy, 120_000)).toBe(false)
  })

  it.each<[string, TokenManagerError, number, number]>([
    ['more than limit failures', failure('http', 503), 4, 6_000],
    ['a failure that will not pass soon', failure('http', 404), 1, 6_000],
    ['a Retry-After longer than maxDelay', failure('http', 503, HOUR), 1, HOUR],
  ])('stops for %s', (_, error, failures, ms) => {
    expect(stopWaiting(error, failures, policy, ms)).toBe(true)
  })

  it('waits out the floor when maxDelay is below it', () => {
    expect(stopWaiting(failure('http', 503), 1, { limit: 3, maxDelay: 1_000 }, MIN_RETRY_DELAY_MS)).toBe(false)
  })
})

describe('retryDelay', () => {
  const policy = { baseDelay: 1_000, maxDelay: 120_000 }

  it('stays a finite number however many attempts failed, even with baseDelay 0', () => {
    expect(retryDelay(5_000, { baseDelay: 0, maxDelay: 120_000 }, 1)).toBe(5_000)
    expect(retryDelay(5_000, policy, 1)).toBe(120_000)
  })

  it('has a floor of MIN_RETRY_DELAY_MS, five seconds', () => {
    expect(MIN_RETRY_DELAY_MS).toBe(5_000)
  })

  it.each([0, 1, 3, 10, 50])('waits exactly the 5 s floor on attempt %i when random is 0', (attempt) => {
    expect(retryDelay(attempt, policy, 0)).toBe(5_000)
  })

  it.each([
    { attempt: 0, delay: 6_000 },
    { attempt: 1, delay: 7_000 },
    { attempt: 3, delay: 13_000 },
    { attempt: 6, delay: 69_000 },
    { attempt: 7, delay: 120_000 },
    { attempt: 20, delay: 120_000 },
    { attempt: 2_000, delay: 120_000 },
  ])('waits at most $delay ms on attempt $attempt (random is 1)', ({ attempt, delay }) => {
    expect(retryDelay(attempt, policy, 1)).toBe(delay)
  })

  it('spreads the backoff with random: half of 4 s above the floor on attempt 2', () => {
    expect(retryDelay(2, policy, 0.5)).toBe(7_000)
  })

  it.each([
    { retryAfter: 30_000, random: 1, delay: 30_000 },
    { retryAfter: 30_000, random: 0, delay: 30_000 },
    { retryAfter: 300_000, random: 1, delay: 300_000 },
    { retryAfter: 3_000, random: 1, delay: 6_000 },
    { retryAfter: 0, random: 1, delay: 6_000 },
  ])(
    'waits $delay ms on the first retry when the server asked for $retryAfter ms and random is $random',
    ({ retryAfter, random, delay }) => {
      expect(retryDelay(0, policy, random, retryAfter)).toBe(delay)
    },
  )

  it('obeys a Retry-After only up to maxRetryAfter: a bad header cannot silence the Inbox for a day', () => {
    const capped = { ...policy, maxRetryAfter: HOUR }
    expect(retryDelay(0, capped, 1, 24 * HOUR)).toBe(HOUR)
    expect(retryDelay(0, capped, 1, 30 * MINUTE)).toBe(30 * MINUTE)
    // The ceiling caps the header, never the backoff.
    expect(retryDelay(20, { ...policy, maxRetryAfter: 0 }, 1, HOUR)).toBe(120_000)
  })

  it('never waits less than the floor, even when maxDelay is below it', () => {
    expect(retryDelay(5, { baseDelay: 1_000, maxDelay: 2_000 }, 1)).toBe(5_000)
  })
})

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-06-01T12:00:00Z')

  it.each([
    { value: '120', ms: 120_000 },
    { value: '1', ms: 1_000 },
    { value: '0', ms: 0 },
  ])('reads delta-seconds $value as $ms ms', ({ value, ms }) => {
    expect(parseRetryAfter(value, now)).toBe(ms)
  })

  it.each([
    { value: new Date(now + 90_000).toUTCString(), ms: 90_000 },
    { value: 'Sun, 01 Jun 2025 13:00:00 GMT', ms: HOUR },
    { value: new Date(now).toUTCString(), ms: 0 },
    { value: 'Sun, 01 Jun 2025 11:59:00 GMT', ms: 0 },
    { value: 'Wed, 21 Oct 2015 07:28:00 GMT', ms: 0 },
  ])('reads the HTTP date $value as $ms ms from now', ({ value, ms }) => {
    expect(parseRetryAfter(value, now)).toBe(ms)
  })

  it.each([null, undefined, '', 'soon', '12abc', 'later, please', 'Infinity', '9'.repeat(400)])('is undefined for %j', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined()
  })

  it.each(['1e3', '0x10', '-5', '1.5'])('does not read %j as a number of seconds', (value) => {
    const ms = parseRetryAfter(value, now)
    expect(ms === undefined || ms === 0).toBe(true)
  })
})
