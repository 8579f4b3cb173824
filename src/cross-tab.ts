// The tab protocol: how the tabs of an origin share one token stream. A BroadcastChannel carries
// tokens, questions and sign-outs; Web Locks say which tabs are there and elect the one that fetches.
//
// - Each tab holds a lock of its own (`<name> tab <random>`) while it runs: a tab that needs a token
//   sees in `navigator.locks.query()` whether any peer could answer, at the cost of one round trip.
// - Before a fetch, a tab asks (`ask`) when a peer is there and waits at most PEER_REPLY_MS: any peer
//   holding a valid token answers with it (`token`), and adopting it ends the wait and the fetch.
//   Alone, it fetches at once.
// - To fetch, a tab takes the exclusive lock `<name>`. Free, it fetches at once. Held by another tab,
//   it waits (at most two request timeouts: the holder's and its own turn), then gives the holder's
//   token a moment to arrive (messages and locks travel separately) and fetches only if none came.
// - A lock missed twice in a row is orphaned (a frozen tab keeps its locks): the next fetch goes
//   without it, the one after waits for it once more. A wait that a newer token or stop() ended is
//   not a miss.
// - Without Web Locks (plain-http origins, Node, test DOMs) no tab knows its peers: a tab that needs
//   its first token asks and fetches at once, taking whichever answers first; a refresh (the old
//   token still valid) waits a random 0.1–1.1 s for a peer's token, which spreads the tabs' requests.
// - A 401/403 from the backend in one tab is `signed-out` in all of them.
import { systemClock } from './clock'
import { decodeToken, isTime, type TokenInfo } from './token'
import type { TokenManagerOptions } from './token-manager'

/** The part of `BroadcastChannel` the manager uses. */
export interface ChannelLike {
  postMessage(message: CrossTabMessage): void
  onmessage: ((event: { data: unknown }) => void) | null
  close(): void
}

/**
 * The part of `navigator.locks` the manager uses: exclusive requests that `signal` can abandon or that
 * only take a free lock (`ifAvailable`: the callback gets `null` otherwise), and `query()`.
 */
export interface LocksLike {
  request<T>(name: string, options: { signal?: AbortSignal; ifAvailable?: boolean }, callback: (lock: unknown) => Promise<T>): Promise<T>
  query(): Promise<{ held?: Array<{ name?: string | undefined }> | undefined }>
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
// Under Node an open channel would keep the process alive: unref it, as the timers are.
export const openChannel = (name: string): ChannelLike | undefined => {
  try {
    const channel = new BroadcastChannel(name)
    ;(channel as { unref?: () => void }).unref?.()
    return channel as ChannelLike
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

export interface Tabs {
  /** Tells the peers about a token fetched here. */
  share(info: TokenInfo): void
  /** Tells the peers the backend signed the user out. */
  signOut(): void
  /**
   * One fetch, in turn with the other tabs: asks them first (unless `ask` is false), waits for the
   * right to fetch, then calls `request` unless `signal` was aborted meanwhile (a token adopted, stop()).
   * `urgent` means a caller waits for a first token: no random wait.
   */
  fetch(signal: AbortSignal, ask: boolean, urgent: boolean, request: () => Promise<void>): Promise<void>
  /** Leaves: closes the channel and gives back every lock. */
  close(): void
}

/**
 * Joins the tabs sharing this manager's token stream (named after `crossTab`, or the URL), or
 * returns undefined where cross-tab is off or no channel opens.
 * @param timeout The longest a tab holds the fetch lock: one request timeout.
 * @param held The valid token this tab holds, if any: the answer to a peer's `ask`.
 * @param adopt Takes a peer's token, decoded, its times as the peer placed them, if the manager wants it.
 * @param signedOut The backend signed the user out in another tab.
 */
export function joinTabs(
  options: TokenManagerOptions,
  timeout: number,
  held: () => TokenInfo | undefined,
  adopt: (info: TokenInfo) => void,
  signedOut: () => void,
): Tabs | undefined {
  const { crossTab = true, channel: open = openChannel, locks = browserLocks(), clock = systemClock } = options
  // Names the channel and every lock; the prefix keeps lock names off the reserved "-".
  const name = `courier-token-manager ${typeof crossTab === 'string' ? crossTab : (options.url ?? 'fetchToken')}`
  const channel = crossTab === false ? undefined : open(name)
  if (!channel) return
  const tabLock = `${name} tab `
  const mine = tabLock + Math.random()
  let leave: (() => void) | undefined
  let left = false
  // Waits for locks that timed out, in a row.
  let misses = 0

  const post = (message: CrossTabMessage) => channel.postMessage(message)
  const share = ({ token, expiresAt, issuedAt }: TokenInfo) => post({ type: 'token', token, expiresAt, issuedAt })
  // Resolves after `ms`, or at once when `signal` aborts.
  const pause = (ms: number, signal: AbortSignal) =>
    new Promise<void>((resolve) => {
      if (signal.aborted) return resolve()
      const id = clock.setTimeout(resolve, ms)
      signal.addEventListener('abort', () => {
        clock.clearTimeout(id)
        resolve()
      })
    })

  channel.onmessage = ({ data }) => {
    const message = readMessage(data)
    if (message?.type === 'ask') {
      const info = held()
      if (info) share(info)
    } else if (message?.type === 'signed-out') {
      signedOut()
    } else if (message) {
      let info: TokenInfo
      try {
        info = { ...decodeToken(message.token), expiresAt: message.expiresAt, issuedAt: message.issuedAt }
      } catch {
        return
      }
      adopt(info)
    }
  }
  // Held until close(): what tells the other tabs this one is here. Its name is no one else's, so it is
  // granted at once; a grant after close() is given back at once.
  locks
    ?.request(mine, {}, async () => {
      if (!left) await new Promise<void>((resolve) => (leave = resolve))
    })
    .catch(() => {})

  // Whether another tab of this stream is running; when locks cannot tell, assume one is.
  const hasPeers = async () => {
    try {
      return !!(await locks!.query()).held?.some((lock) => lock.name?.startsWith(tabLock) && lock.name !== mine)
    } catch {
      return true
    }
  }

  async function ask(signal: AbortSignal, urgent: boolean) {
    // Stopped meanwhile: its channel is closed, and posting to a closed channel throws.
    if ((locks && !(await hasPeers())) || signal.aborted) return
    post({ type: 'ask' })
    // Without locks, a random wait lets the first tab's token reach the others before they fetch too.
    const ms = locks ? PEER_REPLY_MS : urgent ? 0 : PEER_REPLY_MS * (1 + 10 * Math.random())
    if (ms) await pause(ms, signal)
  }

  async function fetch(signal: AbortSignal, asking: boolean, urgent: boolean, request: () => Promise<void>) {
    if (asking) await ask(signal, urgent)
    const orphaned = misses > 1
    if (orphaned) misses = 1
    if (signal.aborted) return
    if (!locks || orphaned) return request()
    let giveUp: unknown
    // Granted: `waited` says whether another tab held the lock first.
    const turn = async (waited: boolean) => {
      clock.clearTimeout(giveUp)
      misses = 0
      // Its token was sent before its lock was released, but may still be on its way.
      if (waited) await pause(PEER_REPLY_MS, signal)
      if (!signal.aborted) await request()
    }
    // Free: fetch at once. A locks API that refuses (a sandboxed frame) counts as held.
    const free = locks.request(name, { ifAvailable: true }, async (lock) => lock && (await turn(false), true))
    if ((await free.catch(() => {})) || signal.aborted) return
    const waiting = new AbortController()
    const stopWaiting = () => {
      clock.clearTimeout(giveUp)
      waiting.abort()
    }
    signal.addEventListener('abort', stopWaiting)
    giveUp = clock.setTimeout(stopWaiting, 2 * timeout)
    await locks
      // Granted after stop() or giving up: an abort no longer withdraws a granted request. Give it back.
      .request(name, { signal: waiting.signal }, async () => waiting.signal.aborted || turn(true))
      // Gave up waiting, or refused: a miss, unless a newer token or stop() ended the wait.
      .catch(() => signal.aborted || misses++)
    clock.clearTimeout(giveUp)
  }

  return {
    share,
    signOut: () => post({ type: 'signed-out' }),
    fetch,
    close() {
      left = true
      leave?.()
      channel.close()
    },
  }
}
