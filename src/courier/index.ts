import * as courierJs from '@trycourier/courier-js'
import type { TokenManager } from '../token-manager'
import { connect, type ConnectOptions, type CourierLike } from './connect'

export interface ConnectCourierOptions extends ConnectOptions {
  /** @default Courier.shared from `@trycourier/courier-js` */
  courier?: CourierLike
}

/**
 * Keeps Courier's web SDK (courier-js 3, used by the Inbox, Preferences and Toast elements and by
 * courier-react 9) signed in with the manager's current token, and signs it out when the manager
 * reports `unauthenticated`.
 * @returns `disconnect()`: removes every listener it added; Courier stays signed in as it is.
 * @example
 * const disconnect = connectCourier(tokens, { inbox: CourierInboxDatastore.shared })
 */
export function connectCourier(manager: TokenManager, options: ConnectCourierOptions = {}): () => void {
  // Node's ESM loader (plain Node, an app's vitest run, Vite SSR) gets courier-js 3's CommonJS build, as it has no
  // exports map: its exports are then under `default` only. Destructured, not read as `courierJs.default`: against
  // courier-js's ESM build, which has no default export, that makes Vite and Rollup warn and webpack fail the build.
  const { Courier, default: commonJs } = courierJs as typeof courierJs & { default?: typeof courierJs }
  return connect(manager, options.courier ?? (Courier ?? commonJs!.Courier).shared, options)
}

export type {
  ConnectOptions,
  CourierApiUrls,
  CourierClientOptionsLike,
  CourierLike,
  CourierSignInOptions,
  CourierSignInProps,
  DatastoreListenerLike,
  InboxDatastoreLike,
  ToastDatastoreLike,
} from './connect'
