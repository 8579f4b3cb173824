// The tab protocol: how the tabs of an origin share one token stream. A BroadcastChannel carries
// tokens, questions and sign-outs; Web Locks say which tabs are there and elect the one that fetches.
// Every name starts with the stream's: `courier-token-manager v<PROTOCOL_VERSION> <crossTab, or the url>`.
//
// Versions: after a deploy, tabs of the old and the new build share an origin. The protocol's version is
// in every name, so tabs of different versions share nothing: no message, no lock. Each side fetches its
// own tokens (one request per cycle per version) and none can misread the other. Any change to the
// messages or the lock sequence below raises PROTOCOL_VERSION. Version 1 was 0.1's, with unversioned names.
//
// Messages: `ask` (who holds a valid token?); `token` (a token, with its expiry and issue time placed
// on the sender's local clock: tabs share the clock); `signed-out` (the backend answered 401 or 403).
// Any page of the origin can post on the channel, so a `token` is checked before the manager sees it
// (placePeerToken): its times must be its claims moved by one offset, not issued in the future, and
// its expiry is never placed after the JWT's own `exp` by more than this tab's own token is (a clock
// ahead of the server's); a token without `exp` or `iat` is not taken.
//
// - Each running tab holds a lock of its own, `<stream> tab <random>`, from joinTabs() to close():
//   what `navigator.locks.query()` shows the others.
// - A fetch (but a manual refresh) asks `query()` whether another tab is there and, at the same time,
//   takes the fetch lock `<stream>` if it is free (`ifAvailable`): one round trip to the browser for
//   both, the only cost a tab alone pays. With a peer there it posts `ask`; a peer holding a valid
//   token answers `token`.
// - Fetch lock free: holding it, the tab gives the peers it asked PEER_REPLY_MS to answer, then fetches;
//   alone, it fetches at once.
// - Fetch lock held by another tab: the tab waits for it, at most two request timeouts (the holder's
//   and its own turn). Granted, it gives the holder's token PEER_REPLY_MS to arrive (messages and
//   locks travel separately), then fetches.
// - At any step, the manager adopting a peer's newer token aborts the fetch: no request is made, and
//   a lock held or waited for is given back.
// - A wait for the lock that times out is a miss; two misses in a row mean an orphaned lock (a frozen
//   tab keeps its locks): the next fetch goes without it, the one after waits for it once more. A wait
//   that a newer token or stop() ended is no miss. Answering a peer's `ask` changes nothing of one's own fetch.
// - Without Web Locks (plain-http origins, Node, test DOMs) no tab knows its peers, and every fetch asks:
//   one for a first token (a caller waits) fetches at once as well, taking whichever answers first;
//   any other waits a random 0.25–1.25 s for a peer's token first, which spreads the tabs' requests.
// - A 401/403 from the backend in one tab is `signed-out` in all of them.
// - The manager leaves by aborting its fetch, then close(): the channel closes, its lock is given back.
import { type Clock, systemClock } from './clock'
import { MAX_TIMER_DELAY_MS } from './constants'
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

/** The tab protocol's version, in every channel and lock name. */
export const PROTOCOL_VERSION = 2

/**
 * How long a tab waits for its peers to answer `ask` before it asks the backend, and for a token
 * after a lock another tab held. A peer under load (a busy main thread) can take over 100 ms to
 * answer; the answer ends the wait, so only a peer without a token makes it last.
 */
export const PEER_REPLY_MS = 250

// Missing, or throwing a SecurityError (Firefox blocking cookies, opaque origins): this tab goes alone.
// Under Node an open channel would keep the process alive: unref it, as the timers are.
export const openChannel = (name: string): ChannelLike | undefined => {
  try {
    const channel = new BroadcastChannel(name)
    ;(channel as { unref?: () => void }).unref?.()
    return channel as ChannelLike
  } catch {}
}

/**
 * A peer's token on this tab's clock, or undefined when its times cannot be an honest placement: both
 * must be its `exp` and `iat` claims moved by one offset (the sender's skew correction), and it cannot
 * have been issued after `now`. Placed no later than the JWT's own `exp`, moved by `trusted` at most:
 * the offset of the token this tab holds itself (its own measure of how far its clock runs ahead of the
 * server's; 0 without one). A sender may know better, but a forged message could say anything. A token
 * without `exp` or `iat` is never taken from a peer (Courier writes both when asked for an expiry).
 */
export function placePeerToken(
  info: TokenInfo,
  expiresAt: number | undefined,
  issuedAt: number | undefined,
  now: number,
  trusted?: () => number | undefined,
): TokenInfo | undefined {
  const offset = expiresAt! - info.expiresAt!
  // NaN (a time missing on either side) fails the comparison, as it should.
  if (!(Math.abs(issuedAt! - info.issuedAt! - offset) <= 1) || issuedAt! > now) return
  // Later than exp only by as much as this tab's own token was (its clock runs ahead of the server's).
  const shift = offset > 0 ? Math.min(offset, Math.max(trusted?.() || 0, 0)) : offset
  return { ...info, expiresAt: info.expiresAt! + shift, issuedAt: info.issuedAt! + shift }
}

/** Resolves after `ms` on `clock`, or at once when `signal` aborts. */
const pause = (clock: Clock, ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve()
    const id = clock.setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clock.clearTimeout(id)
      resolve()
    })
  })

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
  /** Leaves: closes the channel and gives back this tab's lock. Abort every fetch's signal first, as stop() does. */
  close(): void
}

/**
 * Joins the tabs sharing this manager's token stream (named after `crossTab`, or the URL), or
 * returns undefined where cross-tab is off or no channel opens.
 * @param timeout The longest a tab holds the fetch lock: one request timeout.
 * @param held The valid token this tab holds, if any: the answer to a peer's `ask`.
 * @param adopt Takes a peer's token, decoded and its times checked (placePeerToken), if the manager wants it.
 * @param signedOut The backend signed the user out in another tab.
 */
export function joinTabs(
  options: TokenManagerOptions,
  timeout: number,
  held: () => TokenInfo | undefined,
  adopt: (info: TokenInfo) => void,
  signedOut: () => void,
): Tabs | undefined {
  const {
    crossTab = true,
    channel: open = openChannel,
    locks = (globalThis.navigator as { locks?: LocksLike } | undefined)?.locks,
    clock = systemClock,
  } = options
  // Names the channel and every lock; the prefix keeps lock names off the reserved "-".
  const name = `courier-token-manager v${PROTOCOL_VERSION} ${typeof crossTab === 'string' ? crossTab : (options.url ?? 'fetchToken')}`
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
  channel.onmessage = ({ data }) => {
    const message = readMessage(data)
    if (message?.type === 'ask') {
      const info = held()
      if (info) share(info)
    } else if (message?.type === 'signed-out') {
      signedOut()
    } else if (message) {
      let info: TokenInfo | undefined
      try {
        // How far this tab's own token is placed after its exp: only asked for when the peer's is later.
        const ownOffset = () => {
          const mine = held()
          return mine && mine.expiresAt! - mine.claims.exp! * 1000
        }
        info = placePeerToken(decodeToken(message.token), message.expiresAt, message.issuedAt, clock.now(), ownOffset)
      } catch {
        return
      }
      if (info) adopt(info)
    }
  }
  // Held until close(): what tells the other tabs this one is here. Its name is no one else's, so it is
  // granted at once; a grant after close() is given back at once.
  locks
    ?.request(mine, {}, async () => {
      if (!left) await new Promise<void>((resolve) => (leave = resolve))
    })
    .catch(() => {})

  // Asks the peers for a token if one may be there (with locks: if another tab of this stream is running;
  // when they cannot tell, one may be); resolves whether they were asked. Not once stopped meanwhile: its
  // channel is closed, and posting to a closed channel throws.
  const ask = async (signal: AbortSignal) => {
    let asking = true
    try {
      if (locks) asking = !!(await locks.query()).held?.some((lock) => lock.name?.startsWith(tabLock) && lock.name !== mine)
    } catch {}
    asking &&= !signal.aborted
    if (asking) post({ type: 'ask' })
    return asking
  }

  async function fetch(signal: AbortSignal, asking: boolean, urgent: boolean, request: () => Promise<void>) {
    const orphaned = misses > 1
    if (orphaned) misses = 1
    // Asked while the lock is requested: one round trip to the browser for both.
    const asked = asking && ask(signal)
    if (!locks || orphaned) {
      // Without locks, a random wait lets the first tab's token reach the others before they fetch too.
      if ((await asked) && !locks && !urgent) await pause(clock, PEER_REPLY_MS * (1 + 4 * Math.random()), signal)
      if (!signal.aborted) await request()
      return
    }
    let giveUp: unknown
    // Granted: `waited` says whether another tab held the lock first.
    const turn = async (waited: boolean) => {
      clock.clearTimeout(giveUp)
      misses = 0
      // The holder's token was sent before its lock was released but may still be on its way; or peers were asked.
      if (waited || (await asked)) await pause(clock, PEER_REPLY_MS, signal)
      if (!signal.aborted) await request()
    }
    // Free: fetch at once. A locks API that refuses (a sandboxed frame) counts as held.
    const free = locks.request(name, { ifAvailable: true }, async (lock) => {
      if (lock) await turn(false)
      return !!lock
    })
    if ((await free.catch(() => {})) || signal.aborted) return
    const waiting = new AbortController()
    const stopWaiting = () => {
      clock.clearTimeout(giveUp)
      waiting.abort()
    }
    signal.addEventListener('abort', stopWaiting)
    // Capped at what setTimeout can wait: a huge timeout means a long wait, not none.
    giveUp = clock.setTimeout(stopWaiting, Math.min(2 * timeout, MAX_TIMER_DELAY_MS))
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
