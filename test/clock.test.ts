import { afterEach, describe, expect, it, vi } from 'vitest'
import { systemClock } from '../src/clock'

// systemClock is imported above, before any test installs fake timers: it must still pick them up.

afterEach(() => {
  vi.useRealTimers()
})

describe('systemClock with fake timers installed after import', () => {
  it('reads the time set with vi.setSystemTime()', () => {
    vi.useFakeTimers()
    vi.setSystemTime(Date.parse('2030-01-02T03:04:05Z'))

    expect(systemClock.now()).toBe(Date.parse('2030-01-02T03:04:05Z'))

    vi.setSystemTime(Date.parse('2030-01-02T03:04:06Z'))

    expect(systemClock.now()).toBe(Date.parse('2030-01-02T03:04:06Z'))
  })

  it('follows time advanced by fake timers', async () => {
    vi.useFakeTimers()
    vi.setSystemTime(1_000_000)

    await vi.advanceTimersByTimeAsync(2_500)

    expect(systemClock.now()).toBe(1_002_500)
  })

  it('schedules a fake timer that fires after exactly the delay', async () => {
    vi.useFakeTimers()
    const callback = vi.fn()

    systemClock.setTimeout(callback, 1_000)

    expect(vi.getTimerCount()).toBe(1)
    await vi.advanceTimersByTimeAsync(999)
    expect(callback).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(callback).toHaveBeenCalledTimes(1)
  })

  it('cancels a timer with clearTimeout', async () => {
    vi.useFakeTimers()
    const callback = vi.fn()

    const id = systemClock.setTimeout(callback, 1_000)
    systemClock.clearTimeout(id)

    expect(vi.getTimerCount()).toBe(0)
    await vi.advanceTimersByTimeAsync(5_000)
    expect(callback).not.toHaveBeenCalled()
  })

  it('cancels only the timer it is given', async () => {
    vi.useFakeTimers()
    const kept = vi.fn()
    const cancelled = vi.fn()

    systemClock.setTimeout(kept, 1_000)
    systemClock.clearTimeout(systemClock.setTimeout(cancelled, 1_000))
    await vi.advanceTimersByTimeAsync(1_000)

    expect(kept).toHaveBeenCalledTimes(1)
    expect(cancelled).not.toHaveBeenCalled()
  })
})

describe('systemClock with real timers', () => {
  it('unrefs its timer under Node so a pending refresh does not keep the process alive', () => {
    const id = systemClock.setTimeout(() => {}, 60_000) as NodeJS.Timeout

    try {
      expect(id.hasRef()).toBe(false)
    } finally {
      systemClock.clearTimeout(id)
    }
  })

  it('calls unref on the timer the global setTimeout returns, and returns that timer', () => {
    const timer = { unref: vi.fn() }
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout').mockReturnValue(timer as unknown as NodeJS.Timeout)
    const callback = () => {}

    const id = systemClock.setTimeout(callback, 250)

    expect(setTimeoutSpy).toHaveBeenCalledWith(callback, 250)
    expect(timer.unref).toHaveBeenCalledTimes(1)
    expect(id).toBe(timer)
  })

  it('returns a browser numeric timer id as it is', () => {
    vi.spyOn(globalThis, 'setTimeout').mockReturnValue(42 as unknown as NodeJS.Timeout)

    expect(systemClock.setTimeout(() => {}, 250)).toBe(42)
  })

  it('passes the id to the global clearTimeout', () => {
    const clearTimeoutSpy = vi.spyOn(globalThis, 'clearTimeout')

    systemClock.clearTimeout(42)

    expect(clearTimeoutSpy).toHaveBeenCalledWith(42)
  })
})
