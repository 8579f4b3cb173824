import type { TokenInfo } from '../token'
import type { TokenManager } from '../token-manager'

/** Courier's endpoints, as courier-js's `CourierApiUrls`. */
export interface CourierApiUrls {
  courier: { rest: string; graphql: string }
  inbox: { graphql: string; webSocket: string }
}

/** What is passed to `signIn` besides the user and the token: the same on every sign-in. */
export interface CourierSignInOptions {
  /** courier-js's `tenantId` (a Courier tenant of your app), passed through unchanged. */
  tenantId?: string
  apiUrls?: CourierApiUrls
  showLogs?: boolean
}

export interface CourierSignInProps extends CourierSignInOptions {
  userId: string
  jwt: string
}

/** The part of courier-js's `Courier.shared` the adapter uses. Structural, so tests can pass fakes. */
export interface CourierLike {
  signIn(props: CourierSignInProps): void
  signOut(): void
  readonly client?: { readonly options: CourierClientOptionsLike } | undefined
}

/** What courier-js keeps of a sign-in: the props, with `showLogs` defaulted and `apiUrls` merged over its defaults. */
export interface CourierClientOptionsLike {
  readonly accessToken?: string | undefined
  readonly userId: string
  readonly tenantId?: string | undefined
  readonly showLogs?: boolean | undefined
  readonly apiUrls?: CourierApiUrls | undefined
}

/** The part of a datastore listener the adapter needs: `CourierInboxDataStoreListener`'s shape. */
export interface DatastoreListenerLike {
  readonly events: { onError?(error: Error): void }
  remove(): void
}

/** `CourierInboxDatastore.shared` from `@trycourier/courier-ui-inbox`. */
export interface InboxDatastoreLike {
  listenForUpdates(): Promise<void>
  addDataStoreListener(listener: DatastoreListenerLike): void
  removeDataStoreListener(listener: DatastoreListenerLike): void
}

/** `CourierToastDatastore.shared` from `@trycourier/courier-ui-toast`. */
export interface ToastDatastoreLike {
  listenForMessages(): Promise<void>
}

export interface ConnectOptions extends CourierSignInOptions {
  /**
   * `'sign-in'` calls `signIn` again for every refreshed token: supported, but auth listeners see a
   * brief signed-out state, the Inbox refetches and the socket reconnects.
   * `'seamless'` swaps the token inside the signed-in client and reconnects only the socket: no refetch,
   * no flicker. It relies on courier-js internals, checked on every refresh; when they are not as
   * expected it falls back to `signIn`, with one warning.
   * @default 'sign-in'
   */
  mode?: 'sign-in' | 'seamless'
  /** The signed-in user: a token for anyone else is refused, with a warning. */
  userId?: string
  /**
   * `CourierInboxDatastore.shared`: the 401s it reports (actions such as marking read, not loads)
   * trigger one refresh per token, and in seamless mode its realtime listener is re-attached after
   * the socket reconnects.
   */
  inbox?: InboxDatastoreLike
  /** `CourierToastDatastore.shared`, when a `<courier-toast>` is mounted: re-attached in seamless mode. */
  toast?: ToastDatastoreLike
  /** @default console.warn with a `[courier-token-manager]` prefix */
  onWarning?: (message: string) => void
}

// courier-js 3.x internals the seamless swap relies on (see ../shared/courier-sdk-notes.md §2.4).
interface SocketInternals {
  options: unknown
  webSocket: WebSocket | null
  close(): void
}
interface ClientInternals {
  options: { accessToken?: string; jwt?: string; userId: string }
  inbox: { options: unknown; socket: SocketInternals }
}

/** Every sub-client and the socket share one options object, so one write reaches them all. */
const internalsOf = (candidate: Partial<ClientInternals> | undefined): ClientInternals | undefined => {
  const options = candidate?.options
  const socket = candidate?.inbox?.socket
  const fits =
    typeof options?.accessToken === 'string' &&
    Object.getOwnPropertyDescriptor(options, 'accessToken')?.writable &&
    candidate!.inbox!.options === options &&
    socket?.options === options &&
    typeof socket.close === 'function' &&
    'webSocket' in socket
  return fits ? (candidate as ClientInternals) : undefined
}

const endpoints = (urls: CourierApiUrls | undefined) => [
  urls?.courier.rest,
  urls?.courier.graphql,
  urls?.inbox.graphql,
  urls?.inbox.webSocket,
]

// Whether a session uses the endpoints `wanted` names. courier-js fills an empty one with its default: it matches any.
const sameEndpoints = (wanted: CourierApiUrls, stored: CourierApiUrls | undefined) => {
  const used = endpoints(stored)
  return endpoints(wanted).every((url, index) => !url || url === used[index])
}

// The last token an adapter handed each Courier: only a session we started is ours to end. Kept across
// adapters, so that one connected later (a remount) ends a session whose token expired while none was.
const handedTo = new WeakMap<CourierLike, string | undefined>()

/** @internal The default `onWarning`, shared with the React hook. */
export const warnInConsole = (message: string) => console.warn(`[courier-token-manager] ${message}`)

const isUnauthorized = (error: unknown) =>
  (error as { name?: unknown } | null)?.name === 'CourierRequestError' && (error as { code?: unknown }).code === 401

/**
 * Keeps `courier` signed in with the manager's current token, and signed out while there is none:
 * the user signed out, the token expired before its replacement came, or the manager stopped.
 * Returns `disconnect()`, which removes every listener it added and leaves Courier as it is.
 */
export function connect(manager: TokenManager, courier: CourierLike, options: ConnectOptions = {}): () => void {
  const { mode, userId, inbox, toast, tenantId, apiUrls, showLogs } = options // no mode means 'sign-in': only 'seamless' is checked
  const warn = options.onWarning ?? warnInConsole
  const passThrough: CourierSignInOptions = {
    ...(tenantId !== undefined && { tenantId }),
    ...(apiUrls !== undefined && { apiUrls }),
    ...(showLogs !== undefined && { showLogs }),
  }
  let connected = true
  let warnedFallback = false
  let refreshedFor: string | undefined
  const hand = (token: string | undefined) => handedTo.set(courier, token)
  const signOutIfOurs = () => {
    if (courier.client && courier.client.options.accessToken === handedTo.get(courier)) courier.signOut()
  }

  // Reconnects the socket with the new token, then re-attaches the realtime listeners that
  // CourierInboxSocket drops on every close. The old socket must finish closing first: its close
  // event would otherwise clear the listener just added to the new one. A reconnect begun before
  // disconnect() still ends: the socket it closed would otherwise stay closed for good. A socket
  // that dropped is reopened too: courier-js would retry it later (not after 5 failures) without them.
  const reconnect = async (client: ClientInternals, socket: WebSocket) => {
    if (socket.readyState < 3) {
      const closed = new Promise((resolve) => socket.addEventListener('close', resolve, { once: true }))
      client.inbox.socket.close()
      await closed
    }
    if (courier.client !== (client as unknown)) return
    await inbox!.listenForUpdates()
    await toast?.listenForMessages()
  }

  // Swaps the token inside the signed-in client; false when that cannot be done safely.
  const swap = (info: TokenInfo): boolean => {
    const client = internalsOf(courier.client as Partial<ClientInternals> | undefined)
    const socket = client?.inbox.socket.webSocket
    const live = !!socket // courier-js opened it: it may be open, or dropped and waiting to retry
    if (!client || (live && !inbox)) {
      if (!warnedFallback) {
        warnedFallback = true
        warn(
          client
            ? 'Seamless mode needs `inbox: CourierInboxDatastore.shared` to re-attach realtime updates; signing in again instead.'
            : 'Seamless mode does not recognise this courier-js version; signing in again instead.',
        )
      }
      return false
    }
    // courier-js only reads jwt for warnings.
    client.options.accessToken = info.token
    client.options.jwt = info.token
    hand(info.token)
    // Not the error: one about the socket's URL would quote the token in it.
    if (live) reconnect(client, socket!).catch(() => warn("Reconnecting Courier's socket failed."))
    return true
  }

  // A token we refuse still ends the session we gave Courier: its token is the previous one, and the
  // backend has moved on (to another user, or to broken tokens).
  const refuse = (message: string) => {
    signOutIfOurs()
    warn(message)
  }

  const apply = (info: TokenInfo | undefined) => {
    const session = courier.client?.options
    const held = session?.accessToken
    const user = info ? info.userId : session?.userId
    const stranger = (id: string | undefined) => userId !== undefined && id !== undefined && id !== userId
    // Courier holds the manager's own token: an earlier adapter on this manager handed it (a remount,
    // StrictMode, new options). Or Courier holds another user's, whatever token the manager has: the
    // previous user's session, whose adapter is gone (a user switch). Either is ours to end.
    if ((info && info.token === held) || stranger(session?.userId)) hand(held)
    if (stranger(user)) return refuse(`Not signing in to Courier: the token is for user "${user}", not "${userId}".`)
    if (!info) return signOutIfOurs()
    if (!info.userId) return refuse('Not signing in to Courier: the token has no user_id:<id> scope.')
    // The same user with the same options (courier-js keeps its default URLs when none are given). Else a
    // full sign-in, even with the token Courier holds: a new user, or a tenant switch.
    const same =
      session?.userId === info.userId &&
      session.tenantId === tenantId &&
      !session.showLogs === !showLogs &&
      (!apiUrls || sameEndpoints(apiUrls, session.apiUrls))
    if (same && (info.token === held || (mode === 'seamless' && swap(info)))) return
    hand(info.token)
    courier.signIn({ ...passThrough, userId: info.userId, jwt: info.token })
  }

  const datastoreListener: DatastoreListenerLike = {
    events: {
      // Only mutations report errors here; one refresh per token, so a token Courier keeps refusing never loops.
      onError(error) {
        const token = courier.client?.options.accessToken
        if (!connected || !isUnauthorized(error) || !token || refreshedFor === token) return
        refreshedFor = token
        manager.refresh().catch(() => {})
      },
    },
    remove: () => inbox?.removeDataStoreListener(datastoreListener),
  }

  const unsubscribe = [
    manager.on('token', apply),
    manager.on('unauthenticated', () => {
      if (courier.client) courier.signOut()
    }),
    // A token that ran out before its replacement came must not be sent: sign out until the next one.
    // Likewise once the manager stops: it will not replace the token any more.
    manager.on('expired', signOutIfOurs),
    manager.on('status', (status) => status === 'stopped' && signOutIfOurs()),
  ]
  inbox?.addDataStoreListener(datastoreListener)
  apply(manager.current)

  return () => {
    connected = false
    for (const off of unsubscribe) off()
    datastoreListener.remove()
  }
}
