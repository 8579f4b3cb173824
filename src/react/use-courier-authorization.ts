import type { TokenManager } from '../token-manager'
import { useTokenManager } from './use-token-manager'

/**
 * The JWT to pass as `<CourierProvider authorization>` of the legacy `@trycourier/react-provider` 7.
 * It stays the same string while the manager refreshes (the old token is held until the new one
 * arrives), so the provider renews its socket session as long as your backend issues tokens with the
 * same scope. It is undefined only while the manager holds no valid token, which unmounts the
 * provider's tree rather than let it send an expired token.
 * @example <CourierProvider userId={user.id} authorization={useCourierAuthorization(tokens)}>
 */
export function useCourierAuthorization(manager: TokenManager): string | undefined {
  return useTokenManager(manager).token
}
