import { useEffect, useRef } from 'react'
import { connect, warnInConsole, type ConnectOptions, type CourierLike } from '../courier/connect'
import type { TokenManager } from '../token-manager'
import { useTokenManager, type TokenManagerSnapshot } from './use-token-manager'

export interface UseCourierSignInOptions extends ConnectOptions {
  /** `Courier.shared` from `@trycourier/courier-js` (courier-react 9 depends on it). */
  courier: CourierLike
}

/**
 * Keeps courier-react 9 signed in with the manager's token. Signs in when the token string changes,
 * never because a render produced new objects (keying an effect on `useCourier()` loops forever).
 * @example useCourierSignIn(tokens, { courier: Courier.shared, userId: user.id })
 */
export function useCourierSignIn(manager: TokenManager, options: UseCourierSignInOptions): TokenManagerSnapshot {
  const { courier, mode, userId, tenantId, showLogs, apiUrls, inbox, toast } = options
  const latest = useRef(options)
  latest.current = options
  // Objects built during render must not reconnect: compare apiUrls by value.
  const apiUrlsKey = JSON.stringify(apiUrls ?? null)
  // biome-ignore lint/correctness/useExhaustiveDependencies: the options are read through `latest`; these are the ones that warrant a reconnect, apiUrls by value.
  useEffect(
    () => connect(manager, courier, { ...latest.current, onWarning: (message) => (latest.current.onWarning ?? warnInConsole)(message) }),
    [manager, courier, mode, userId, tenantId, showLogs, apiUrlsKey, inbox, toast],
  )
  return useTokenManager(manager)
}
