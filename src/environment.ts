/** Tells the manager when the page may have woken up, so it re-reads the clock. */
export interface WakeSource {
  subscribe(listener: () => void): () => void
}

/** Network status: no retries are spent while offline, and going online triggers a refresh. */
export interface OnlineSource extends WakeSource {
  isOnline(): boolean
}

// `window` is looked up on subscribe, so importing the package touches nothing and SSR is safe
// (`globalThis.window` is undefined in Node and workers).
const listen = (types: string[]) => (listener: () => void) => {
  const target = globalThis.window
  for (const type of types) target?.addEventListener(type, listener)
  return () => {
    for (const type of types) target?.removeEventListener(type, listener)
  }
}

/**
 * Timers freeze during sleep and are throttled in background tabs: these events mean "look again".
 * `visibilitychange` is fired at the document and bubbles to the window.
 */
export const pageVisibility: WakeSource = { subscribe: listen(['visibilitychange', 'focus', 'pageshow']) }

/** `navigator.onLine` is only trusted when it says offline; no navigator counts as online. */
export const networkStatus: OnlineSource = {
  isOnline: () => globalThis.navigator?.onLine !== false,
  subscribe: listen(['online', 'offline']),
}
