import type { OnlineSource, WakeSource } from '../../src/environment'

/** A network status the test controls; `set()` notifies like the browser's online/offline events. */
export function fakeOnline(initial = true) {
  let online = initial
  const listeners = new Set<() => void>()
  return {
    isOnline: () => online,
    subscribe(listener: () => void) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    set(value: boolean) {
      online = value
      for (const listener of [...listeners]) listener()
    },
    get listeners() {
      return listeners.size
    },
  } satisfies OnlineSource & Record<string, unknown>
}

/** A wake source the test controls: `wake()` is the page becoming visible again. */
export function fakeVisibility() {
  const listeners = new Set<() => void>()
  return {
    subscribe(listener: () => void) {
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    wake() {
      for (const listener of [...listeners]) listener()
    },
    get listeners() {
      return listeners.size
    },
  } satisfies WakeSource & Record<string, unknown>
}
