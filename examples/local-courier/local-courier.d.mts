/** The API key the local Issue Token endpoint takes: not a secret, it only works here. */
export declare const LOCAL_COURIER_API_KEY: 'sk_local_courier'

/** courier-js's `CourierApiUrls`. */
export interface LocalCourierApiUrls {
  courier: { rest: string; graphql: string }
  inbox: { graphql: string; webSocket: string }
}

/** A message as the Inbox API answers it. */
export interface LocalCourierMessage {
  messageId: string
  title: string
  preview: string
  created: string
  read?: string
  opened?: string
  archived?: string
  data: Record<string, unknown>
  tags: string[]
  actions: Array<{ content?: string; href?: string; data?: Record<string, unknown> }>
  trackingIds: { clickTrackingId: string }
}

export interface LocalCourier {
  /** courier-js's `apiUrls` for this server. */
  apiUrls: LocalCourierApiUrls
  /** For `createTokenHandler({ apiKey: LOCAL_COURIER_API_KEY, baseUrl })` and `issueCourierToken`. */
  baseUrl: string
  apiKey: typeof LOCAL_COURIER_API_KEY
  /** Sends `userId` a message: stored, and pushed to every open Inbox of the user. */
  send(
    userId: string,
    message: { title: string; preview?: string; data?: Record<string, unknown>; tags?: string[]; actions?: LocalCourierMessage['actions'] },
  ): LocalCourierMessage
  /** The user's messages, newest first, as stored. */
  messages(userId: string): LocalCourierMessage[]
  /** Open realtime connections: the user and the token each connected with. */
  connections(): Array<{ userId: string; token: string | null }>
  close(): Promise<void>
}

/** Starts a local Courier on `host:port` (a free port by default). */
export declare function startLocalCourier(options?: { port?: number; host?: string; secret?: string }): Promise<LocalCourier>
