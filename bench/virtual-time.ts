// A virtual clock for benchmarks: hours of timers run in milliseconds, in order, deterministically.
import type { Clock } from '../src/clock'

export function virtualTime(start = Date.UTC(2026, 0, 1)) {
  let now = start
  let nextId = 0
  const timers = new Map<number, { at: number; callback: () => void }>()
  const clock: Clock = {
    now: () => now,
    setTimeout: (callback, ms) => {
      nextId++
      timers.set(nextId, { at: now + Math.max(0, ms), callback })
      return nextId
    },
    clearTimeout: (id) => void timers.delete(id as number),
  }
  /** Lets every promise chain started so far settle. */
  const drain = () => new Promise((resolve) => setImmediate(resolve))
  return {
    clock,
    get now() {
      return now
    },
    /** Runs every timer due before `end`, in time order, settling promises between them. */
    async runUntil(end: number) {
      for (;;) {
        await drain()
        let next: [number, { at: number; callback: () => void }] | undefined
        for (const entry of timers) if (!next || entry[1].at < next[1].at) next = entry
        if (!next || next[1].at > end) break
        timers.delete(next[0])
        now = next[1].at
        next[1].callback()
      }
      now = end
      await drain()
    },
    sleep: (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms)),
  }
}
