export { createTokenManager } from './token-manager'
export { decodeToken } from './token'
export { diagnoseToken, SCOPES } from './diagnose'
export { TokenManagerError, isTokenManagerError } from './errors'
export {
  DEFAULT_REFRESH_MARGIN_MS,
  DEFAULT_RETRY,
  DEFAULT_TIMEOUT_MS,
  CLOCK_CHECK_INTERVAL_MS,
  MIN_REFRESH_INTERVAL_MS,
  MIN_RETRY_DELAY_MS,
} from './constants'

export type {
  TokenManager,
  TokenManagerOptions,
  TokenManagerSettings,
  TokenEvents,
  TokenStatus,
  RefreshReason,
  DebugEvent,
} from './token-manager'
export type { TokenInfo, CourierClaims } from './token'
export type { Diagnosis, DiagnosisCode, DiagnoseOptions, Feature } from './diagnose'
export type { TokenManagerErrorCode, TokenManagerErrorOptions } from './errors'
export type { TokenResult, RequestOptions, TokenSourceOptions, UrlSource, FunctionSource } from './fetch-token'
export type { Clock } from './clock'
export type { WakeSource, OnlineSource } from './environment'
export type { ChannelLike, LocksLike, CrossTabMessage } from './cross-tab'
