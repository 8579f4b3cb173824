// A stand-in for courier-js's Courier.shared with the same client shape: one options object shared
// by the client, the inbox client and the socket, as in courier-js 3.4.0.
import type { CourierSignInProps } from '../../src/courier/connect'

export class FakeWebSocket extends EventTarget {
  readyState = 1
  close() {
    this.readyState = 3
    // Like the browser: the close event comes later, not during close().
    queueMicrotask(() => this.dispatchEvent(new Event('close')))
  }
}

export function fakeCourier() {
  const calls: string[] = []
  const signIns: CourierSignInProps[] = []
  const courier = {
    client: undefined as
      | undefined
      | {
          options: {
            accessToken: string
            jwt: string
            userId: string
            tenantId?: string | undefined
            showLogs?: boolean | undefined
            apiUrls?: CourierSignInProps['apiUrls']
          }
          inbox: { options: unknown; socket: { options: unknown; webSocket: FakeWebSocket | null; close(): void } }
        },
    signIn(props: CourierSignInProps) {
      calls.push(`signIn ${props.userId}`)
      signIns.push(props)
      // What courier-js keeps: the props (undefined ones are ignored by toEqual), the token as accessToken.
      const options = {
        accessToken: props.jwt,
        jwt: props.jwt,
        userId: props.userId,
        tenantId: props.tenantId,
        showLogs: props.showLogs,
        apiUrls: props.apiUrls,
      }
      const socket = {
        options,
        webSocket: null as FakeWebSocket | null,
        close() {
          calls.push('socket.close')
          this.webSocket?.close()
        },
      }
      courier.client = { options, inbox: { options, socket } }
    },
    signOut() {
      calls.push('signOut')
      courier.client = undefined
    },
    /** Opens the signed-in client's socket, as a mounted Inbox would. */
    openSocket() {
      courier.client!.inbox.socket.webSocket = new FakeWebSocket()
      return courier.client!.inbox.socket.webSocket
    },
  }
  return { courier, calls, signIns }
}

export function fakeDatastores(calls: string[]) {
  const listeners: Array<{ events: { onError?(error: Error): void } }> = []
  return {
    listeners,
    inbox: {
      listenForUpdates: async () => void calls.push('inbox.listenForUpdates'),
      addDataStoreListener: (listener: (typeof listeners)[number]) => void listeners.push(listener),
      removeDataStoreListener: (listener: (typeof listeners)[number]) => void listeners.splice(listeners.indexOf(listener), 1),
    },
    toast: { listenForMessages: async () => void calls.push('toast.listenForMessages') },
    /** What courier-js throws for a 401. */
    fail: (code = 401) => {
      const error = Object.assign(new Error('Unauthorized'), { name: 'CourierRequestError', code })
      for (const listener of [...listeners]) listener.events.onError?.(error)
    },
  }
}
