// Sharing one token stream between the tabs of an origin: BroadcastChannel carries tokens and
// sign-outs, a Web Lock elects the one tab that asks the backend.
import { isTime } from './token'

/** The part of `BroadcastChannel` the manager uses. */
export interface ChannelLike {
  postMessage(message: CrossTabMessage): void
  onmessage: ((event: { data: unknown }) => void) | null
  close(): void
}

/** The part of `navigator.locks` the manager uses: an exclusive request that `signal` can abandon. */
export interface LocksLike {
  request<T>(name: string, options: { signal: AbortSignal }, callback: (lock: unknown) => Promise<T>): Promise<T>
}

/**
 * What tabs tell each other. Expiry travels as local-clock milliseconds: tabs share the clock,
 * so the sender's skew correction holds for everyone.
 */
export type CrossTabMessage =
  | { type: 'token'; token: string; expiresAt: number | undefined; issuedAt: number | undefined }
  | { type: 'ask' }
  | { type: 'signed-out' }

/** How long a tab waits for its peers to answer `ask` before it asks the backend. */
export const PEER_REPLY_MS = 100

// Missing, or throwing a SecurityError (Firefox blocking cookies, opaque origins): this tab goes alone.
export const openChannel = (name: string): ChannelLike | undefined => {
  try {
    return new BroadcastChannel(name) as ChannelLike
  } catch {}
}

export const browserLocks = (): LocksLike | undefined => (globalThis.navigator as { locks?: LocksLike } | undefined)?.locks

/** A message from another tab, as sent, or undefined when it is not one of ours. */
export function readMessage(data: unknown): CrossTabMessage | undefined {
  const message = data as Partial<Record<string, unknown>> | null
  const type = message?.type
  const isOurs =
    type === 'ask' ||
    type === 'signed-out' ||
    (type === 'token' && typeof message!.token === 'string' && isTime(message!.expiresAt) && isTime(message!.issuedAt))
  if (isOurs) return message as CrossTabMessage
}
