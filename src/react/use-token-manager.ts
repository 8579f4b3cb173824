import { useMemo, useSyncExternalStore } from 'react'
import type { TokenManagerError } from '../errors'
import type { TokenInfo } from '../token'
import type { TokenEvents, TokenManager, TokenStatus } from '../token-manager'

export interface TokenManagerSnapshot {
  /** The token held now, or undefined. */
  token: string | undefined
  info: TokenInfo | undefined
  status: TokenStatus
  /** The last failure (`manager.error`): cleared when a token arrives, by `stop()`, by `start()` on a stopped or signed-out manager, and by `refresh()` on a signed-out one. */
  error: TokenManagerError | undefined
}

const EVENTS: Array<keyof TokenEvents> = ['token', 'status', 'expired', 'error', 'unauthenticated']

// What the server renders: nothing is fetched there.
const SERVER_SNAPSHOT: TokenManagerSnapshot = Object.freeze({ token: undefined, info: undefined, status: 'idle', error: undefined })

/** One store per hook instance: subscribe and a snapshot that only changes when something did. */
function createStore(manager: TokenManager) {
  let snapshot: TokenManagerSnapshot | undefined
  return {
    // The snapshot is read from the manager, so a failure from before the hook mounted shows too.
    subscribe: (onChange: () => void) => {
      const offs = EVENTS.map((type) => manager.on(type, onChange))
      return () => {
        for (const off of offs) off()
      }
    },
    getSnapshot(): TokenManagerSnapshot {
      const { current: info, status, error } = manager
      if (!snapshot || snapshot.info !== info || snapshot.status !== status || snapshot.error !== error) {
        snapshot = { token: info?.token, info, status, error }
      }
      return snapshot
    },
  }
}

/**
 * The manager's token, status and last error, rendered without tearing; on the server, an idle snapshot.
 * @example const { token, status } = useTokenManager(tokens)
 */
export function useTokenManager(manager: TokenManager): TokenManagerSnapshot {
  const store = useMemo(() => createStore(manager), [manager])
  return useSyncExternalStore(store.subscribe, store.getSnapshot, () => SERVER_SNAPSHOT)
}
