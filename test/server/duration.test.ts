import { describe, expect, it } from 'vitest'
import { parseDuration } from '../../src/server/duration'

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE
const DAY = 24 * HOUR

describe('parseDuration', () => {
  it.each([
    ['1h', HOUR],
    ['20s', 20 * SECOND],
    ['2.5 hrs', 2.5 * HOUR],
    ['3 days', 3 * DAY],
    ['1d', DAY],
    ['10h', 10 * HOUR],
    ['1m', MINUTE],
    ['5s', 5 * SECOND],
    ['1y', 365.25 * DAY],
    ['500ms', 500],
    ['2 weeks', 14 * DAY],
    ['1w', 7 * DAY],
    ['90 minutes', 90 * MINUTE],
    ['2 mins', 2 * MINUTE],
    ['1 hour', HOUR],
    ['30 secs', 30 * SECOND],
    ['250 milliseconds', 250],
    ['2 yrs', 2 * 365.25 * DAY],
    ['1H', HOUR],
    ['  1h  ', HOUR],
  ])('reads the duration %j as %d ms', (value, expected) => {
    expect(parseDuration(value)).toBe(expected)
  })

  it.each([
    [3600, 3600 * SECOND],
    ['3600', 3600 * SECOND],
    [20, 20 * SECOND],
    ['1.5', 1500],
    [0.5, 500],
  ])('reads a bare number %j as seconds: %d ms', (value, expected) => {
    expect(parseDuration(value)).toBe(expected)
  })

  it('tells "m" (minutes) apart from "ms" (milliseconds)', () => {
    expect(parseDuration('5m')).toBe(5 * MINUTE)
    expect(parseDuration('5ms')).toBe(5)
  })

  it.each([
    ['', '""'],
    ['   ', '"   "'],
    ['abc', '"abc"'],
    ['1 month', '"1 month"'],
    ['-5s', '"-5s"'],
    ['0', '"0"'],
    [0, '0'],
    [-5, '-5'],
    ['1h30m', '"1h30m"'],
    ['h', '"h"'],
    ['Infinity', '"Infinity"'],
    ['9'.repeat(400), `"${'9'.repeat(400)}"`], // a number, but not a finite one
    [1e308 * 10, 'null'],
  ])('rejects %j with a TypeError that quotes the value', (value, quoted) => {
    expect(() => parseDuration(value)).toThrow(TypeError)
    expect(() => parseDuration(value)).toThrow(`Invalid duration ${quoted}`)
  })
})
