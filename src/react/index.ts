export { useTokenManager } from './use-token-manager'
export { useCourierSignIn } from './use-courier-sign-in'
export { useCourierAuthorization } from './use-courier-authorization'

export type { TokenManagerSnapshot } from './use-token-manager'
export type { UseCourierSignInOptions } from './use-courier-sign-in'
