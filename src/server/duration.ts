const UNITS: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5, y: 31_557_600_000 }

/**
 * Reads a duration the way Courier's `expires_in` does (vercel/ms style): `"1h"`, `"20s"`,
 * `"2.5 hrs"`, `"3 days"`, or a number of seconds. Returns milliseconds.
 * @throws {TypeError} for anything else, so a typo never becomes a token without expiry.
 */
export function parseDuration(value: string | number): number {
  const match =
    /^(\d+(?:\.\d+)?)\s*(ms|msecs?|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|weeks?|y|yrs?|years?)?$/i.exec(
      String(value).trim(),
    )
  const unit = match?.[2]?.toLowerCase() ?? 's'
  const ms = match ? Number(match[1]) * UNITS[unit.startsWith('ms') || unit.startsWith('mil') ? 'ms' : unit[0]!]! : NaN
  if (!(ms > 0 && ms < Infinity)) throw new TypeError(`Invalid duration ${JSON.stringify(value)}: use e.g. "1h", "20s" or "2 days".`)
  return ms
}
