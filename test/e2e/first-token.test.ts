// The first token in real Chromium, with the built package: a tab alone must not wait for peers that do
// not exist, and a tab opened beside one holding a token must take that token, not ask the backend.
// The scenario, which `npm run bench` also prints, is bench/first-token.ts. The token comes from a
// `fetchToken` that resolves at once: what is timed is the manager and the tab protocol alone, and the
// difference is what cross-tab adds to any first token. (With `url`, a loopback server sharing two cores
// with Chromium scatters single loads over tens of ms; `npm run bench` reports that source too.)
import { describe, expect, it } from 'vitest'
import { measureFirstToken, type LoneFigures, type OriginFigures, type Samples } from '../../bench/first-token'

/** What cross-tab sharing may add to a lone tab's first token: the default's median minus crossTab: false's. */
const BUDGET_MS = 10
const LOADS = 12

const ms = (value: number) => `${value.toFixed(1)} ms`
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0)
// The range of single loads too: on a busy machine they scatter by more than the budget.
const range = ({ ms: samples }: Samples) => `${Math.min(...samples).toFixed(0)}–${Math.max(...samples).toFixed(0)}`
const lone = ({ name, lone }: OriginFigures) => {
  const { default: shared, crossTabOff, extra } = lone.fetchToken!
  return `${name}: default ${ms(shared.median)} vs crossTab:false ${ms(crossTabOff.median)} (${extra < 0 ? '' : '+'}${ms(extra)}, budget ${BUDGET_MS} ms; single loads ${range(shared)} vs ${range(crossTabOff)} ms)`
}
const beside = ({ name, peer }: OriginFigures) =>
  `${name}, a tab beside one holding a token: start() ${ms(peer.median)}, ${peer.adopted} of ${peer.ms.length} took its token, ${sum(peer.requests)} token requests`

describe('the first token in Chromium', () => {
  // Milliseconds on a shared machine: a burst of another tenant's work can move a median past the budget.
  // A failed measurement is taken again, from scratch, at most twice; a real regression fails all three.
  it.each(['secure origin', 'plain-http origin'] as const)(
    'costs a lone tab on a %s at most 10 ms more than crossTab: false',
    { retry: 2, timeout: 180_000 },
    async (name) => {
      const [measured] = (await measureFirstToken({ loads: LOADS, sources: ['fetchToken'], origins: [name] })).origins as [OriginFigures]
      const { default: shared, crossTabOff, extra }: LoneFigures = measured.lone.fetchToken!
      // Each lone tab asked for a token once: no peer answered it, and it asked no more.
      expect(shared.requests, `${name}: token requests per lone tab, default options`).toEqual(Array(LOADS).fill(1))
      expect(crossTabOff.requests, `${name}: token requests per lone tab, crossTab: false`).toEqual(Array(LOADS).fill(1))
      expect(extra, lone(measured)).toBeLessThanOrEqual(BUDGET_MS)
      // A tab opened beside one holding a token takes that token, with no request of its own, where Web Locks
      // say a peer is there. Without them it asks its peers and the backend at once (README, Tabs): not checked.
      if (measured.locks)
        expect({ adopted: measured.peer.adopted, requests: sum(measured.peer.requests) }, beside(measured)).toEqual({
          adopted: LOADS,
          requests: 0,
        })
    },
  )
})
