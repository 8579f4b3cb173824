import { useRef } from 'react'
import type { TokenManager } from '../token-manager'
import { useTokenManager } from './use-token-manager'

/**
 * The JWT to pass as `<CourierProvider authorization>` of the legacy `@trycourier/react-provider` 7.
 * Once defined it stays defined until the user is signed out or the manager stops: an undefined
 * `authorization` unmounts that provider, so a token that expired while its refresh is on the way
 * is kept rather than dropped. Refreshed tokens renew the provider's socket session as long as
 * your backend issues them with the same scope.
 * @example <CourierProvider userId={user.id} authorization={useCourierAuthorization(tokens)}>
 */
export function useCourierAuthorization(manager: TokenManager): string | undefined {
  const { token, status } = useTokenManager(manager)
  const last = useRef<string | undefined>(undefined)
  if (token) last.current = token
  else if (status === 'unauthenticated' || status === 'stopped' || status === 'idle') last.current = undefined
  return last.current
}
