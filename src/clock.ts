/** Every timer and every reading of the time goes through a clock, so tests and unusual hosts can drive it. */
export interface Clock {
  now(): number
  setTimeout(callback: () => void, ms: number): unknown
  clearTimeout(id: unknown): void
}

/** Calls the globals at call time, so `vi.useFakeTimers()` and patched globals take effect. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => {
    const id = setTimeout(callback, ms)
    // Under Node a pending refresh must not keep the process alive.
    ;(id as { unref?: () => void }).unref?.()
    return id
  },
  clearTimeout: (id) => clearTimeout(id as ReturnType<typeof setTimeout>),
}
